/**
 * What each column of a papiex header means. Columns are found by name,
 * never by position: older files lack exitsignal, mpinumranks and mpirank,
 * and any column that is not a known per-process field is a metric (kept:
 * the standard ones in their own database columns, others as extras).
 */
import {
  NON_ADDITIVE_METRICS,
  PROCESS_COLUMNS,
  STANDARD_METRICS,
} from "../db/mod.ts";
import { EXTRA_LIMIT, INT_LIMIT, WHOLE_LIMIT } from "./number_field.ts";
import {
  F_END,
  F_EXITCODE,
  F_EXITSIGNAL,
  F_GENERATION,
  F_METRICS,
  F_MPINUMRANKS,
  F_MPIRANK,
  F_NUMTIDS,
  F_PGID,
  F_PID,
  F_PPID,
  F_SID,
  F_START,
  type ProcessTable,
} from "./process_table.ts";

/** Text columns, by role code. */
export const R_TAGS = -1;
export const R_HOST = -2;
export const R_EXENAME = -3;
export const R_PATH = -4;
export const R_ARGS = -5;
/** The thread id column. */
export const R_TID = -6;
/** Roles from R_EXTRA up are extra metric slot R_EXTRA + s. */
export const R_EXTRA = 1000;

const TEXT: Record<string, number> = {
  tags: R_TAGS,
  hostname: R_HOST,
  exename: R_EXENAME,
  path: R_PATH,
  args: R_ARGS,
};

/** Per-process numbers, stored at these ProcessTable offsets. */
const NUMBERS: Record<string, number> = {
  pid: F_PID,
  generation: F_GENERATION,
  ppid: F_PPID,
  pgid: F_PGID,
  sid: F_SID,
  exitcode: F_EXITCODE,
  exitsignal: F_EXITSIGNAL,
  mpinumranks: F_MPINUMRANKS,
  mpirank: F_MPIRANK,
  numtids: F_NUMTIDS,
  start: F_START,
  end: F_END,
};

/** Number columns the database stores as `int`. */
const INT_COLUMNS: ReadonlySet<string> = new Set(
  PROCESS_COLUMNS.filter((c) => c.type === "int").map((c) => c.name),
);

/** Columns without which a file cannot be read. */
const REQUIRED = ["hostname", "pid", "ppid", "numtids", "start", "end"];

/** One header, resolved against a job's ProcessTable. */
export interface HeaderMap {
  names: string[];
  /**
   * Role of each column: a text role (R_TAGS..R_ARGS), R_TID, a
   * ProcessTable offset (per-process numbers, then standard metrics from
   * F_METRICS), or R_EXTRA + extra slot.
   */
  roles: Int32Array;
  /**
   * Largest magnitude of each number column, so that SQLite and PostgreSQL
   * store the same: int columns 2^31-1, other whole numbers 2^53-1 (read
   * back exactly), extra metrics any finite number. Unused for text.
   */
  limits: Float64Array;
  /** Column of each role a reader needs directly (-1 when absent). */
  pid: number;
  tid: number;
  start: number;
  end: number;
  /** Metric columns, in header order. */
  metricColumns: number[];
  /** How each column folds over threads: SUM, MAX or FIRST. */
  fold: Int8Array;
  /** Column of each per-thread value, in threadColumns order (-1: absent). */
  threadValues: Int32Array;
}

/** Thread folding: added up, largest, or the first thread's value. */
export const SUM = 0;
export const MAX = 1;
export const FIRST = 2;

/**
 * Maps header `names` to roles, registering unknown metrics as extras of
 * `table`. Returns an error text for a missing or repeated column.
 */
export function mapHeader(
  names: string[],
  table: ProcessTable,
  required: readonly string[] = REQUIRED,
): HeaderMap | string {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `column ${name} appears twice in the header`;
    seen.add(name);
  }
  const missing = required.filter((r) => !seen.has(r));
  if (missing.length) {
    return `the header lacks column${missing.length > 1 ? "s" : ""} ${
      missing.join(", ")
    }`;
  }
  const roles = new Int32Array(names.length);
  const fold = new Int8Array(names.length);
  const metricColumns: number[] = [];
  names.forEach((name, k) => {
    if (name in TEXT) roles[k] = TEXT[name];
    else if (name in NUMBERS) roles[k] = NUMBERS[name];
    else if (name === "tid") roles[k] = R_TID;
    else {
      const s = STANDARD_METRICS.indexOf(name);
      roles[k] = s >= 0 ? F_METRICS + s : R_EXTRA + table.extraSlot(name);
      metricColumns.push(k);
      if (name === "rssmax" || name === "num_threads") fold[k] = MAX;
      else if (NON_ADDITIVE_METRICS.has(name)) fold[k] = FIRST;
    }
  });
  const limits = Float64Array.from(
    names,
    (name, k) =>
      roles[k] >= R_EXTRA
        ? EXTRA_LIMIT
        : INT_COLUMNS.has(name)
        ? INT_LIMIT
        : WHOLE_LIMIT,
  );
  const threadValues = Int32Array.from(
    threadColumns(table),
    (name) => names.indexOf(name),
  );
  return {
    fold,
    threadValues,
    names,
    roles,
    limits,
    pid: names.indexOf("pid"),
    tid: names.indexOf("tid"),
    start: names.indexOf("start"),
    end: names.indexOf("end"),
    metricColumns,
  };
}

/** Names of the per-thread values, in the order of each thread's array. */
export function threadColumns(table: ProcessTable): string[] {
  return ["tid", "start", "end", ...STANDARD_METRICS, ...table.extraNames];
}

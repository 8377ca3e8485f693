/**
 * Puts parsed rows into a ProcessTable: a process row starts a process,
 * thread rows fold into it. Shared by the CSV and TSV readers, which leave
 * a row's numbers in `nums` (NaN for an empty field) and its text fields in
 * `texts`, both by column.
 */
import {
  F_END,
  F_NUMTIDS,
  F_PPID,
  F_START,
  type ProcessTable,
} from "./process_table.ts";
import {
  FIRST,
  type HeaderMap,
  MAX,
  R_ARGS,
  R_EXENAME,
  R_EXTRA,
  R_HOST,
  R_PATH,
  R_TAGS,
} from "./header.ts";
import { detach } from "./lines.ts";

/** Builds processes in a ProcessTable from parsed rows. */
export class RowWriter {
  readonly table: ProcessTable;
  #interned = new Map<string, string>();

  constructor(table: ProcessTable) {
    this.table = table;
  }

  #intern(s: string): string {
    let v = this.#interned.get(s);
    if (v === undefined) {
      v = detach(s);
      this.#interned.set(v, v);
    }
    return v;
  }

  /**
   * Starts a process from a row; returns its row in the table, or an error
   * text naming the column at fault.
   */
  addProcess(
    h: HeaderMap,
    nums: Float64Array,
    texts: string[],
    file: number,
    line: number,
  ): number | string {
    const table = this.table;
    const roles = h.roles;
    uncountedToNaN(h, nums);
    const r = table.add();
    const row = table.current;
    let host = "", exename = "", path = "", args = "", tags = "";
    for (let k = 0; k < roles.length; k++) {
      const role = roles[k];
      if (role >= 0) {
        const v = nums[k];
        if (role >= R_EXTRA) {
          table.setExtra(r, role - R_EXTRA, v);
        } else {
          row[role] = v;
        }
      } else if (role === R_HOST) host = texts[k];
      else if (role === R_EXENAME) exename = bareName(texts[k]);
      else if (role === R_PATH) path = texts[k];
      else if (role === R_ARGS) args = texts[k];
      else if (role === R_TAGS) tags = texts[k];
    }
    for (const k of h.metricColumns) {
      if (roles[k] < R_EXTRA && nums[k] !== nums[k]) {
        return `column ${h.names[k]} is empty`;
      }
    }
    for (const f of NEEDED) {
      if (row[f] !== row[f]) return `a process row needs ${NAMES[f]}`;
    }
    const numtids = row[F_NUMTIDS];
    if (!(numtids >= 1) || !Number.isInteger(numtids)) {
      return `numtids must be a whole number of at least 1, not ${numtids}`;
    }
    if (host === "") return "a process row needs hostname";
    table.hosts.push(this.#intern(host));
    table.exenames.push(this.#intern(exename));
    table.paths.push(this.#intern(path));
    table.args.push(detach(args));
    table.tags.push(this.#intern(tags));
    table.threads.push(null);
    table.fileOf.push(file);
    table.lineOf.push(line);
    return r;
  }

  /**
   * Folds a thread row into process row `r` (the last one added); returns
   * an error text naming the column at fault, or "".
   */
  addThread(h: HeaderMap, nums: Float64Array, r: number): string {
    const table = this.table;
    if (r !== table.length - 1) throw new Error("thread of an earlier process");
    const row = table.current;
    const roles = h.roles;
    const fold = h.fold;
    uncountedToNaN(h, nums);
    for (const k of h.metricColumns) {
      const v = nums[k];
      const role = roles[k];
      if (role >= R_EXTRA) {
        if (v !== v) continue;
        const slot = role - R_EXTRA;
        const sum = table.getExtra(r, slot);
        table.setExtra(r, slot, sum === sum ? sum + v : v);
      } else if (v !== v) {
        return `column ${h.names[k]} is empty`;
      } else if (fold[k] === MAX) {
        if (v > row[role]) row[role] = v;
      } else if (fold[k] !== FIRST) {
        row[role] += v;
      }
    }
    return "";
  }
}

/**
 * An event the machine could not count is written as an empty field (our
 * collector's CSV) or -1 (the TSV array); no real count is negative. Such
 * values become NaN, "not counted", so they neither fail the row nor go
 * into sums.
 */
function uncountedToNaN(h: HeaderMap, nums: Float64Array): void {
  const roles = h.roles;
  for (const k of h.metricColumns) {
    if (roles[k] >= R_EXTRA && !(nums[k] >= 0)) nums[k] = NaN;
  }
}

/** A thread's values as a JSON array, in threadColumns order. */
export function threadJson(h: HeaderMap, nums: Float64Array): string {
  const cols = h.threadValues;
  let s = "[";
  for (let i = 0; i < cols.length; i++) {
    const k = cols[i];
    const v = k < 0 ? NaN : nums[k];
    s += (i ? "," : "") + (v === v ? v : "null");
  }
  return s + "]";
}

const NEEDED = [F_PPID, F_START, F_END];
const NAMES: Record<number, string> = {
  [F_PPID]: "ppid",
  [F_START]: "start",
  [F_END]: "end",
};

/**
 * The program's name without its directory: collectors record argv[0] as
 * it was given, so a shell's `gzip` and `epmt run gzip` (spawned as
 * /usr/bin/gzip) would be two programs to `list procs --exe` and
 * `compare`. The full path stays in the path column.
 *
 * @example
 * bareName("/usr/bin/gzip"); // "gzip"
 */
export function bareName(argv0: string): string {
  const slash = argv0.lastIndexOf("/");
  return slash < 0 || slash === argv0.length - 1
    ? argv0
    : argv0.slice(slash + 1);
}

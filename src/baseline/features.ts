/**
 * What a reference model and the judging of a job look at, read from the
 * database in a few grouped queries: the job's own metrics (duration,
 * cpu_time, every proc_sums metric), and the same few metrics per op
 * (processes with process tag KEY:value) and per executable.
 */
import type { Store } from "../db/mod.ts";

/** The metrics of an op's or an executable's processes in one job. */
export const GROUP_METRICS = [
  "duration",
  "cpu_time",
  "num_procs",
  "rssmax_peak",
  "usertime",
  "systemtime",
  "read_bytes",
  "write_bytes",
  "rchar",
  "wchar",
  "time_waiting",
  "delayacct_blkio_time",
] as const;

/** Metric -> value. */
export type Values = Record<string, number>;

/** One job's features. */
export interface JobFeatures {
  jobid: string;
  exp_name: string;
  exp_component: string;
  tags: Record<string, unknown>;
  start_us: number;
  job: Values;
  /** Op (process tag value) -> metrics of its processes. */
  ops: Record<string, Values>;
  /** Executable name -> metrics of its processes. */
  exes: Record<string, Values>;
}

/**
 * Per job, executable and op: the sums and extremes the group metrics are
 * made of, in one pass over the processes (ops and executables are then
 * folded from these rows).
 */
const PARTS_SQL = `count(*) AS num_procs, sum(cpu_time) AS cpu_time,
  min(start_us) AS first_start, max(end_us) AS last_end, max(rssmax) AS rssmax_peak,
  sum(usertime) AS usertime, sum(systemtime) AS systemtime,
  sum(read_bytes) AS read_bytes, sum(write_bytes) AS write_bytes,
  sum(rchar) AS rchar, sum(wchar) AS wchar, sum(time_waiting) AS time_waiting,
  sum(delayacct_blkio_time) AS delayacct_blkio_time`;

/** The summed metrics of a group (the rest are max, min or counts). */
const SUMMED = [
  "num_procs",
  "cpu_time",
  "usertime",
  "systemtime",
  "read_bytes",
  "write_bytes",
  "rchar",
  "wchar",
  "time_waiting",
  "delayacct_blkio_time",
];

/** A group being folded: metrics plus first start and last end. */
interface Acc {
  v: Values;
  first?: number;
  last?: number;
}

function fold(acc: Acc, r: Record<string, unknown>): void {
  const num = (k: string) => {
    const x = r[k];
    return x === null || x === undefined ? undefined : Number(x);
  };
  for (const k of SUMMED) {
    const x = num(k);
    if (x !== undefined) acc.v[k] = (acc.v[k] ?? 0) + x;
  }
  const peak = num("rssmax_peak");
  if (peak !== undefined) {
    acc.v.rssmax_peak = Math.max(acc.v.rssmax_peak ?? -Infinity, peak);
  }
  const a = num("first_start");
  const b = num("last_end");
  if (a !== undefined) acc.first = Math.min(acc.first ?? Infinity, a);
  if (b !== undefined) acc.last = Math.max(acc.last ?? -Infinity, b);
}

function finish(groups: Map<string, Acc>): Record<string, Values> {
  const out: Record<string, Values> = {};
  for (const [k, acc] of groups) {
    if (acc.first !== undefined && acc.last !== undefined) {
      acc.v.duration = acc.last - acc.first;
    }
    out[k] = acc.v;
  }
  return out;
}

/** A process tag's value as SQL, and its parameter. */
export function tagValueSql(
  provider: string,
  key: string,
): { sql: string; param: string } {
  return provider === "postgres"
    ? { sql: "tags->>(?::text)", param: key }
    : { sql: "json_extract(tags, ?)", param: `$."${key}"` };
}

const PART = 500;

/**
 * A JSON object column (key order does not matter here, so no sorting:
 * query/store.ts jsonObject sorts, which costs on 1,000 jobs).
 */
function parseObject(text: unknown): Record<string, unknown> {
  if (typeof text !== "string" || text === "") return {};
  const v = JSON.parse(text);
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : {};
}

/**
 * The features of `jobids` (every one must exist), in the order given.
 * `opKey` names the process tag whose values are the ops.
 */
export async function readFeatures(
  store: Store,
  jobids: readonly string[],
  opKey: string,
): Promise<JobFeatures[]> {
  const byId = new Map<string, JobFeatures>();
  const tag = tagValueSql(store.provider, opKey);
  for (let i = 0; i < jobids.length; i += PART) {
    const part = jobids.slice(i, i + PART);
    const marks = part.map(() => "?").join(", ");
    const jobs = await store.query(
      `SELECT jobid, exp_name, exp_component, tags, start_us, duration_us,
              cpu_time, proc_sums FROM jobs WHERE jobid IN (${marks})`,
      part,
    );
    for (const r of jobs) {
      const sums = parseObject(r.proc_sums);
      const job: Values = {};
      for (const [k, v] of Object.entries(sums)) {
        if (typeof v === "number" && Number.isFinite(v)) job[k] = v;
      }
      if (r.duration_us !== null) job.duration = Number(r.duration_us);
      if (r.cpu_time !== null) job.cpu_time = Number(r.cpu_time);
      byId.set(String(r.jobid), {
        jobid: String(r.jobid),
        exp_name: String(r.exp_name ?? ""),
        exp_component: String(r.exp_component ?? ""),
        tags: parseObject(r.tags),
        start_us: Number(r.start_us),
        job,
        ops: {},
        exes: {},
      });
    }
    const parts = await store.query(
      `SELECT jobid, exename, ${tag.sql} AS k, ${PARTS_SQL} FROM processes
        WHERE jobid IN (${marks}) GROUP BY jobid, exename, 3`,
      [tag.param, ...part],
    );
    const ops = new Map<string, Map<string, Acc>>();
    const exes = new Map<string, Map<string, Acc>>();
    const add = (m: Map<string, Map<string, Acc>>, id: string, k: string) => {
      let g = m.get(id);
      if (!g) m.set(id, g = new Map());
      let acc = g.get(k);
      if (!acc) g.set(k, acc = { v: {} });
      return acc;
    };
    for (const r of parts) {
      const id = String(r.jobid);
      fold(add(exes, id, String(r.exename ?? "")), r);
      if (r.k !== null) fold(add(ops, id, String(r.k)), r);
    }
    for (const [id, g] of ops) {
      const f = byId.get(id);
      if (f) f.ops = finish(g);
    }
    for (const [id, g] of exes) {
      const f = byId.get(id);
      if (f) f.exes = finish(g);
    }
  }
  return jobids.flatMap((id) => byId.get(id) ?? []);
}

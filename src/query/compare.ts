/**
 * `epmt compare A B`: two jobs' sums side by side with the ratio B/A, then
 * their processes grouped by executable (or by a process tag) with counts
 * and cpu time side by side, the biggest changes first.
 */
import { STANDARD_METRICS } from "../db/mod.ts";
import type { Row, Store } from "../db/mod.ts";
import {
  humanCount,
  humanDuration,
  humanRatio,
  humanTime,
  shorten,
} from "./format.ts";
import { humanMetric, rawName } from "./metrics.ts";
import { jsonObject } from "./store.ts";
import { renderTable } from "./table.ts";

/** One metric of both jobs. */
export interface SumRow {
  metric: string;
  a: number | null;
  b: number | null;
}

/** One executable (or tag value) of both jobs. */
export interface GroupRow {
  key: string | null;
  procsA: number;
  procsB: number;
  cpuA: number;
  cpuB: number;
}

/** Everything compare prints. */
export interface Comparison {
  a: Row;
  b: Row;
  /** "exe" or the process tag key grouped by. */
  by: string;
  sums: SumRow[];
  groups: GroupRow[];
}

/** The metrics shown first, in this order; the other sums follow. */
const FIRST = [
  "duration",
  "cpu_time",
  "num_procs",
  "num_threads",
  "usertime",
  "systemtime",
  "rssmax_peak",
  "read_bytes",
  "write_bytes",
  "rchar",
  "wchar",
];

function sumRows(a: Row, b: Row): SumRow[] {
  const sa = jsonObject(a.proc_sums) as Record<string, number>;
  const sb = jsonObject(b.proc_sums) as Record<string, number>;
  const value = (job: Row, sums: Record<string, number>, m: string) =>
    m === "duration" ? job.duration_us as number | null : sums[m] ?? null;
  const rest = [...new Set([...Object.keys(sa), ...Object.keys(sb)])]
    .filter((m) => !FIRST.includes(m))
    .sort((x, y) => order(x) - order(y) || x.localeCompare(y));
  return [...FIRST, ...rest].map((m) => ({
    metric: m,
    a: value(a, sa, m),
    b: value(b, sb, m),
  }));
}

/** Standard metrics in collector order, extra ones after them. */
function order(metric: string): number {
  const i = STANDARD_METRICS.indexOf(metric);
  return i < 0 ? STANDARD_METRICS.length : i;
}

/** The grouping expression for `by` and its parameters. */
function groupKey(store: Store, by: string): { sql: string; params: string[] } {
  if (by === "exe") return { sql: "exename", params: [] };
  return store.provider === "postgres"
    ? { sql: "tags->>(?::text)", params: [by] }
    : { sql: "json_extract(tags, ?)", params: [`$."${by}"`] };
}

async function groups(store: Store, jobid: string, by: string) {
  const key = groupKey(store, by);
  const rows = await store.query<
    { k: string | null; n: number; cpu: number | null }
  >(
    `SELECT ${key.sql} AS k, count(*) AS n, sum(cpu_time) AS cpu
       FROM processes WHERE jobid = ? GROUP BY 1`,
    [...key.params, jobid],
  );
  return new Map(rows.map((r) => [r.k === null ? null : String(r.k), r]));
}

/** Reads both jobs' processes grouped by `by` ("exe" or a tag key). */
export async function compareJobs(
  store: Store,
  a: Row,
  b: Row,
  by: string,
): Promise<Comparison> {
  const ga = await groups(store, String(a.jobid), by);
  const gb = await groups(store, String(b.jobid), by);
  const keys = [...new Set([...ga.keys(), ...gb.keys()])];
  const rows: GroupRow[] = keys.map((k) => ({
    key: k,
    procsA: Number(ga.get(k)?.n ?? 0),
    procsB: Number(gb.get(k)?.n ?? 0),
    cpuA: Number(ga.get(k)?.cpu ?? 0),
    cpuB: Number(gb.get(k)?.cpu ?? 0),
  }));
  rows.sort((x, y) =>
    Math.abs(y.cpuB - y.cpuA) - Math.abs(x.cpuB - x.cpuA) ||
    Math.abs(y.procsB - y.procsA) - Math.abs(x.procsB - x.procsA) ||
    String(x.key).localeCompare(String(y.key))
  );
  return { a, b, by, sums: sumRows(a, b), groups: rows };
}

function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (a === 0) return b === 0 ? null : Infinity;
  return b / a;
}

/** The comparison as raw values, units in the names (for --json). */
export function comparisonRecord(c: Comparison): Record<string, unknown> {
  return {
    a: c.a.jobid,
    b: c.b.jobid,
    sums: c.sums.map((s) => ({
      metric: rawName(s.metric),
      a: s.a,
      b: s.b,
      ratio: finite(ratio(s.a, s.b)),
    })),
    by: c.by,
    groups: c.groups.map((g) => ({
      [c.by === "exe" ? "exename" : c.by]: g.key,
      procs_a: g.procsA,
      procs_b: g.procsB,
      cpu_time_us_a: g.cpuA,
      cpu_time_us_b: g.cpuB,
      cpu_ratio: finite(ratio(g.cpuA, g.cpuB)),
    })),
  };
}

/** JSON has no Infinity: a ratio against zero is null there. */
function finite(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

/** The comparison for people; `limit` groups at most (0: all). */
export function comparisonText(c: Comparison, limit: number): string {
  const title = (label: string, j: Row) =>
    `${label}: ${j.jobid}  ${shorten(String(j.jobname ?? ""), 40)}  ${
      humanTime(j.start_us as number | null)
    }`;
  const sums = renderTable(
    [
      { title: "METRIC" },
      { title: `A`, align: "right" },
      { title: `B`, align: "right" },
      { title: "B/A", align: "right" },
    ],
    c.sums.map((s) => [
      s.metric,
      humanMetric(s.metric, s.a),
      humanMetric(s.metric, s.b),
      humanRatio(ratio(s.a, s.b)),
    ]),
  );
  const shown = limit > 0 ? c.groups.slice(0, limit) : c.groups;
  const what = c.by === "exe" ? "EXE" : c.by.toUpperCase();
  let groups = renderTable(
    [
      { title: what },
      { title: "PROCS A", align: "right" },
      { title: "PROCS B", align: "right" },
      { title: "CPU A", align: "right" },
      { title: "CPU B", align: "right" },
      { title: "CPU B/A", align: "right" },
    ],
    shown.map((g) => [
      g.key === null ? "(untagged)" : shorten(g.key, 32),
      humanCount(g.procsA),
      humanCount(g.procsB),
      humanDuration(g.cpuA),
      humanDuration(g.cpuB),
      humanRatio(ratio(g.cpuA, g.cpuB)),
    ]),
  );
  if (shown.length < c.groups.length) {
    groups += `\n(${shown.length} of ${c.groups.length}; --limit 0 for all)`;
  }
  const heading = c.by === "exe"
    ? "By executable, biggest cpu change first:"
    : `By process tag ${c.by}, biggest cpu change first:`;
  return [title("A", c.a), title("B", c.b), "", sums, "", heading, groups].join(
    "\n",
  );
}

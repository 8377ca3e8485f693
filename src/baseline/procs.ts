/**
 * Stragglers inside one job: each process against its siblings (the
 * processes of the same executable, the same op, or the MPI ranks of one
 * program), and each thread against the other threads of its process.
 * One query and one pass over its rows, so a 100,000-process job is judged
 * well under a second.
 */
import type { Store } from "../db/mod.ts";
import { threadsOf } from "../db/mod.ts";
import { UserError } from "../errors.ts";
import { unitOf } from "../query/mod.ts";
import { type Method } from "../query/mod.ts";
import { tagValueSql } from "./features.ts";
import {
  beyond,
  NOISE_FLOOR,
  scoreAgainst,
  summarize,
  type Summary,
} from "./summary.ts";
import { THRESHOLDS } from "../query/mod.ts";

/** What siblings are: same executable, same op, or MPI ranks of a program. */
export const PROC_GROUPINGS = ["exe", "op", "mpirank"] as const;
export type ProcGrouping = typeof PROC_GROUPINGS[number];

/** The metrics processes and threads are compared on. */
export const PROC_METRICS = [
  "cpu_time",
  "duration",
  "rssmax",
  "read_bytes",
  "write_bytes",
] as const;

/**
 * The metrics threads can be compared on (thread arrays carry no rssmax of
 * their own).
 */
export const THREAD_METRICS = [
  "cpu_time",
  "duration",
  "read_bytes",
  "write_bytes",
] as const;

/**
 * What threads are compared on unless --features says otherwise: one thread
 * doing a process's I/O is the usual design, not a straggler.
 */
export const DEFAULT_THREAD_METRICS = ["cpu_time", "duration"] as const;

/** Fewest siblings a group needs to be judged. */
export const MIN_SIBLINGS = 3;

/**
 * Differences smaller than this are not called stragglers, however
 * uniform the siblings (a thousand `true` processes of 300 µs each).
 */
const MIN_EFFECT = { us: 100_000, ns: 1e8, kib: 1024, bytes: 1 << 20 };

/** A process or thread that stands out among its siblings. */
export interface ProcFlag {
  pid: number;
  /** Set for threads. */
  tid?: number;
  host: string;
  exe: string;
  /** What its siblings share: `exe:cp`, `op:ocean`, `mpi:ocean_model`, `pid:123`. */
  group: string;
  /** How many siblings (itself included). */
  siblings: number;
  mpirank?: number;
  feature: string;
  value: number;
  median: number;
  score: number;
  method: Method;
}

/**
 * The rows judged, as arrays (not objects: a 100,000-process job is
 * judged in one pass): some leading columns, then one value per metric
 * from column `first` on.
 */
type Row = (string | number | null)[];

/** One flagged row, before it is described. */
interface Hit {
  row: number;
  group: string;
  siblings: number;
  feature: string;
  value: number;
  median: number;
  score: number;
  method: Method;
}

function minEffect(metric: string): number {
  const u = unitOf(metric);
  return u === "count" ? 0 : MIN_EFFECT[u];
}

function judgeGroup(
  out: Hit[],
  group: string,
  rows: readonly Row[],
  members: readonly number[],
  first: number,
  metrics: readonly string[],
  methods: readonly Method[],
  known?: readonly (Summary | undefined)[],
): void {
  if (!known && members.length < MIN_SIBLINGS) return;
  const xs = new Float64Array(members.length);
  const who = new Int32Array(members.length);
  metrics.forEach((metric, m) => {
    const col = first + m;
    let n = 0;
    for (const i of members) {
      const v = rows[i][col];
      if (v !== null && v !== undefined) {
        xs[n] = Number(v);
        who[n++] = i;
      }
    }
    const s = known
      ? known[m]
      : n >= MIN_SIBLINGS
      ? summarize(xs.subarray(0, n))
      : undefined;
    if (!s) return;
    const least = minEffect(metric);
    for (let k = 0; k < n; k++) {
      const x = xs[k];
      if (Math.abs(x - s.median) < least) continue;
      for (const method of methods) {
        const score = scoreAgainst(method, s, x);
        if (!beyond(method, score)) continue;
        out.push({
          row: who[k],
          group,
          siblings: s.n,
          feature: metric,
          value: x,
          median: s.median,
          score,
          method,
        });
      }
    }
  });
}

/** Who a flagged row is. */
interface Who {
  pid: number;
  tid?: number;
  host: string;
  exe: string;
  mpirank?: number;
}

function flagOf(h: Hit, who: Who): ProcFlag {
  return {
    pid: who.pid,
    ...(who.tid !== undefined ? { tid: who.tid } : {}),
    host: who.host,
    exe: who.exe,
    group: h.group,
    siblings: h.siblings,
    ...(who.mpirank !== undefined ? { mpirank: who.mpirank } : {}),
    feature: h.feature,
    value: h.value,
    median: h.median,
    score: h.score,
    method: h.method,
  };
}

async function requireJob(store: Store, jobid: string): Promise<string[]> {
  const [job] = await store.query(
    "SELECT thread_columns FROM jobs WHERE jobid = ?",
    [jobid],
  );
  if (!job) {
    throw new UserError(
      `job ${jobid} is not in the database (${store.description})`,
    );
  }
  return JSON.parse(String(job.thread_columns ?? "[]")) as string[];
}

/**
 * The processes of `jobid` that stand out among their siblings, grouped
 * `by` executable, op (process tag `opKey`) or MPI rank (the ranked
 * processes of each executable).
 */
export async function stragglers(
  store: Store,
  jobid: string,
  by: ProcGrouping,
  methods: readonly Method[],
  opts: { opKey?: string; metrics?: readonly string[] } = {},
): Promise<ProcFlag[]> {
  await requireJob(store, jobid);
  const metrics = opts.metrics ?? PROC_METRICS;
  const tag = tagValueSql(store.provider, opts.opKey ?? "op");
  const cols = metrics.map((m) => m === "duration" ? "duration_us" : m);
  const where = by === "op"
    ? ` AND ${tag.sql} IS NOT NULL`
    : by === "mpirank"
    ? " AND mpirank IS NOT NULL"
    : "";
  const key = by === "op" ? tag.sql : "exename";
  const params = by === "op" ? [tag.param, jobid, tag.param] : [jobid];
  const prefix = by === "op" ? "op" : by === "mpirank" ? "mpi" : "exe";
  const hits: Hit[] = [];
  let rows: Row[];
  if (store.provider === "postgres") {
    // The server summarizes each group; only the rows that might stand out
    // travel (100,000 rows through the wire cost more than the judging).
    const c = await pgCandidates(store, key, where, params, cols, methods);
    rows = c.rows;
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const k = String(r[1] ?? "");
      let g = groups.get(k);
      if (!g) groups.set(k, g = []);
      g.push(i);
    });
    for (const [k, members] of groups) {
      const known = c.stats.get(k);
      if (!known) continue;
      judgeGroup(
        hits,
        `${prefix}:${k}`,
        rows,
        members,
        2,
        metrics,
        methods,
        known,
      );
    }
    return await describe(store, jobid, rows, hits);
  }
  // Numbers and the group key only: who the few flagged are is read after.
  rows = await store.queryValues(
    `SELECT idx, ${key} AS k, ${cols.join(", ")}
       FROM processes WHERE jobid = ?${where}`,
    params,
  );
  const groups = new Map<string, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const key = String(rows[i][1] ?? "");
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(i);
  }
  for (const [k, members] of groups) {
    judgeGroup(hits, `${prefix}:${k}`, rows, members, 2, metrics, methods);
  }
  return await describe(store, jobid, rows, hits);
}

/** The flags of `hits`, with who each flagged process is (one query). */
async function describe(
  store: Store,
  jobid: string,
  rows: readonly Row[],
  hits: readonly Hit[],
): Promise<ProcFlag[]> {
  if (hits.length === 0) return [];
  const idxs = [...new Set(hits.map((h) => Number(rows[h.row][0])))];
  const who = new Map<number, Who>();
  for (let i = 0; i < idxs.length; i += 500) {
    const part = idxs.slice(i, i + 500);
    const found = await store.query(
      `SELECT idx, pid, host, exename, mpirank FROM processes
        WHERE jobid = ? AND idx IN (${part.map(() => "?").join(", ")})`,
      [jobid, ...part],
    );
    for (const r of found) {
      who.set(Number(r.idx), {
        pid: Number(r.pid),
        host: String(r.host ?? ""),
        exe: String(r.exename ?? ""),
        ...(r.mpirank !== null ? { mpirank: Number(r.mpirank) } : {}),
      });
    }
  }
  return hits.map((h) => flagOf(h, who.get(Number(rows[h.row][0]))!));
}

/**
 * PostgreSQL: per group (key) and metric the statistics summarize() gives
 * (percentile_cont interpolates as numpy does; stddev_pop is ddof 0), then
 * only the rows outside the band no method could flag. Rows come as
 * [idx, key, metric values...].
 */
async function pgCandidates(
  store: Store,
  key: string,
  where: string,
  params: (string | number)[],
  cols: readonly string[],
  methods: readonly Method[],
): Promise<{ stats: Map<string, (Summary | undefined)[]>; rows: Row[] }> {
  const p = `SELECT ${key} AS k, ${
    cols.map((c, i) => `${c}::float8 AS m${i}`).join(", ")
  } FROM processes WHERE jobid = ?${where}`;
  // One sort per metric for the three quantiles (PostgreSQL computes an
  // aggregate written several times once).
  const per = cols.map((_, i) => {
    const q =
      `(percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY m${i}))`;
    return `count(m${i}) AS n${i}, ${q}[2] AS med${i}, ${q}[1] AS qa${i},
     ${q}[3] AS qb${i}, avg(m${i}) AS mean${i}, stddev_pop(m${i}) AS sd${i},
     min(m${i}) AS lo${i}, max(m${i}) AS hi${i}`;
  }).join(",\n");
  const mads = cols.map((_, i) =>
    `percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(p.m${i} - s.med${i})) AS mad${i}`
  ).join(", ");
  const rows = await store.query(
    `WITH p AS (${p}),
       s AS (SELECT k, ${per} FROM p GROUP BY k HAVING count(*) >= ${MIN_SIBLINGS})
     SELECT s.*, d.* FROM s JOIN (
       SELECT s.k AS dk, ${mads} FROM p JOIN s ON p.k IS NOT DISTINCT FROM s.k GROUP BY s.k
     ) d ON d.dk IS NOT DISTINCT FROM s.k`,
    params,
  );
  const stats = new Map<string, (Summary | undefined)[]>();
  const bands: Record<string, unknown>[] = [];
  for (const r of rows) {
    const k = String(r.k ?? "");
    const band: Record<string, unknown> = { k };
    stats.set(
      k,
      cols.map((_, i) => {
        const n = Number(r[`n${i}`]);
        if (n < MIN_SIBLINGS) return undefined;
        const s: Summary = {
          n,
          median: Number(r[`med${i}`]),
          mad: Number(r[`mad${i}`]),
          q1: Number(r[`qa${i}`]),
          q3: Number(r[`qb${i}`]),
          mean: Number(r[`mean${i}`]),
          std: Number(r[`sd${i}`]),
          min: Number(r[`lo${i}`]),
          max: Number(r[`hi${i}`]),
        };
        const [lo, hi] = quietBand(
          s,
          methods,
          minEffect(METRIC_OF[cols[i]] ?? cols[i]),
        );
        band[`lo${i}`] = lo;
        band[`hi${i}`] = hi;
        return s;
      }),
    );
    bands.push(band);
  }
  if (bands.length === 0) return { stats, rows: [] };
  const outside = cols.map((_, i) =>
    `(p.m${i} < b.lo${i} OR p.m${i} > b.hi${i})`
  ).join(" OR ");
  const recordType = cols.map((_, i) => `lo${i} float8, hi${i} float8`).join(
    ", ",
  );
  const found = await store.queryValues(
    `SELECT p.idx, p.k, ${cols.map((_, i) => `p.m${i}`).join(", ")}
       FROM (SELECT idx, ${p.slice("SELECT ".length)}) p
       JOIN jsonb_to_recordset(?::jsonb) AS b(k text, ${recordType})
         ON p.k IS NOT DISTINCT FROM b.k
      WHERE ${outside}`,
    [...params, JSON.stringify(bands)],
  );
  return { stats, rows: found };
}

/** Column names back to metric names (for the minimum effect). */
const METRIC_OF: Record<string, string> = { duration_us: "duration" };

/**
 * The values no method can flag (within every method's limit, or too near
 * the median to matter), a little narrowed so rounding in the database
 * never hides a candidate: the exact verdict is made on the rows outside.
 */
function quietBand(
  s: Summary,
  methods: readonly Method[],
  least: number,
): [number, number] {
  const fl = NOISE_FLOOR * Math.abs(s.median);
  let lo = -Infinity;
  let hi = Infinity;
  const within = (a: number, b: number) => {
    lo = Math.max(lo, a);
    hi = Math.min(hi, b);
  };
  for (const m of methods) {
    if (m === "zscore") {
      const w = THRESHOLDS.zscore * Math.max(s.std, fl);
      within(s.mean - w, s.mean + w);
    } else if (m === "modified-zscore") {
      const w = THRESHOLDS["modified-zscore"] / 0.6745 * Math.max(s.mad, fl);
      within(s.median - w, s.median + w);
    } else {
      const w = THRESHOLDS.iqr * Math.max(s.q3 - s.q1, fl);
      within(s.q1 - w, s.q3 + w);
    }
  }
  if (lo > hi) [lo, hi] = [s.median, s.median];
  lo = Math.min(lo, s.median - least);
  hi = Math.max(hi, s.median + least);
  const slack = 1e-6 * (Math.abs(s.median) + Math.abs(hi - lo) + 1);
  return [lo - slack, hi + slack];
}

/**
 * The threads of `jobid` that stand out among the other threads of their
 * process (processes with at least MIN_SIBLINGS threads).
 */
export async function threadStragglers(
  store: Store,
  jobid: string,
  methods: readonly Method[],
  opts: { pid?: number; metrics?: readonly string[] } = {},
): Promise<ProcFlag[]> {
  const columns = await requireJob(store, jobid);
  const metrics = opts.metrics ?? DEFAULT_THREAD_METRICS;
  const at = (name: string) => columns.indexOf(name);
  const [tid, start, end, user, sys] = [
    "tid",
    "start",
    "end",
    "usertime",
    "systemtime",
  ]
    .map(at);
  const pidCond = opts.pid === undefined ? "" : " AND pid = ?";
  const rows = await store.query(
    `SELECT pid, host, exename, mpirank, threads, start_us, end_us
       FROM processes WHERE jobid = ? AND numtids >= ${MIN_SIBLINGS}${pidCond}`,
    opts.pid === undefined ? [jobid] : [jobid, opts.pid],
  );
  const out: ProcFlag[] = [];
  for (const r of rows) {
    const threads: Row[] = threadsOf(columns, r).map((t) => {
      const v = (i: number) => (i >= 0 ? t[i] : null);
      return [
        r.pid,
        v(tid),
        r.host,
        r.exename,
        r.mpirank,
        ...metrics.map((m) => {
          switch (m) {
            case "cpu_time": {
              const u = v(user);
              const s = v(sys);
              return u === null && s === null ? null : (u ?? 0) + (s ?? 0);
            }
            case "duration": {
              const a = v(start);
              const b = v(end);
              return a === null || b === null ? null : b - a;
            }
            default:
              return v(at(m));
          }
        }),
      ];
    });
    const hits: Hit[] = [];
    judgeGroup(
      hits,
      `pid:${r.pid}`,
      threads,
      threads.map((_, i) => i),
      5,
      metrics,
      methods,
    );
    for (const h of hits) {
      const t = threads[h.row];
      out.push(flagOf(h, {
        pid: Number(r.pid),
        tid: Number(t[1]),
        host: String(r.host ?? ""),
        exe: String(r.exename ?? ""),
        ...(r.mpirank !== null ? { mpirank: Number(r.mpirank) } : {}),
      }));
    }
  }
  return out;
}

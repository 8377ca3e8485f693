/**
 * Everything a job's report shows, read from the database in one place:
 * the header, per-group sums, the Gantt rows, the process tree and the
 * metrics. Both `epmt report` and `epmt serve` draw from `loadReport`, so
 * what analysis or reference models add is hooked in here once (see
 * `Extras`).
 */
import type { Row, SqlValue, Store } from "../db/mod.ts";
import { humanCount, json, jsonObject, unitOf } from "../query/mod.ts";

/** At most this many processes are drawn in the timeline. */
export const MAX_GANTT = 4000;
/** At most this many lanes (groups) in the timeline; the rest share one. */
export const MAX_LANES = 30;
/** Processes overlapping in one lane are stacked up to this many rows. */
export const MAX_SUBROWS = 8;
/** At most this many groups in the "where the time went" bars. */
export const MAX_GROUPS = 25;
/** At most this many nodes in the process tree chart. */
export const MAX_TREE_NODES = 1500;
/** Command lines are cut to this many characters. */
export const MAX_ARGS = 120;
/** The name of the group holding what the bounds leave out. */
export const OTHER = "(other)";

/** The job as the header shows it. */
export interface JobHeader {
  jobid: string;
  jobname: string;
  username: string;
  hosts: string[];
  start_us: number | null;
  end_us: number | null;
  duration_us: number | null;
  cpu_time_us: number | null;
  exitcode: number | null;
  exp_name: string;
  exp_component: string;
  exp_oname: string;
  num_procs: number;
  num_threads: number;
  tags: Record<string, unknown>;
  annotations: Record<string, unknown>;
  /** cpu time over wall time times the cores used, 0..1, when known. */
  efficiency: number | null;
  /** A one-line judgement of the job, when analysis gave one. */
  verdict: string | null;
  /** Outlier and other flags raised on this job. */
  flags: string[];
  /** The reference model the job is judged against, when one covers it. */
  model: string | null;
}

/** Time spent by one group of processes (an op or an executable). */
export interface GroupSum {
  name: string;
  procs: number;
  /** Sum of the processes' cpu time, µs. */
  cpu_us: number;
  /** Time at least one of them was running (union of their lives), µs. */
  wall_us: number;
}

/**
 * The timeline: one bar per drawn process, as columns (one array per
 * field, same length) to keep the page small.
 */
export interface Gantt {
  /** What the lanes are: process tag `op`, or the executable. */
  by: "op" | "exe";
  /** Lane names, in the order they first ran. */
  lanes: string[];
  /** Stacked rows used in each lane. */
  rows: number[];
  lane: number[];
  row: number[];
  /** Start and end, µs after the job's start. */
  start: number[];
  end: number[];
  cpu: number[];
  /** rssmax, KiB (-1 when unknown). */
  rss: number[];
  /** Exit: the code, or "SIGxx"/"signal" text. */
  exit: (number | string)[];
  pid: number[];
  /** Index into `strings`: executable and command line. */
  exe: number[];
  args: number[];
  /** 1 on the critical path. */
  crit: number[];
  strings: string[];
  shown: number;
  total: number;
  /** What was left out, for the page; "" when nothing was. */
  note: string;
}

/** A node of the process tree chart: value is inclusive cpu in seconds. */
export interface TreeNode {
  name: string;
  value: number;
  procs: number;
  children?: TreeNode[];
}

/** A reference model's median of a metric and the band around it. */
export interface Band {
  median: number;
  low: number;
  high: number;
}

/** One row of the metrics table. */
export interface MetricRow {
  name: string;
  unit: string;
  value: number | null;
  /** The reference model's median and band, when a model covers the job. */
  model?: Band | null;
}

/** What one job's report holds. */
export interface ReportData {
  job: JobHeader;
  byOp: GroupSum[];
  byExe: GroupSum[];
  gantt: Gantt;
  tree: TreeNode[];
  treeNote: string;
  metrics: MetricRow[];
  /** When the report was made, µs since the epoch. */
  made_us: number;
}

/**
 * What other parts of epmt know about a job beyond its rows: analysis
 * (efficiency, verdict, flags, critical path) and reference models. Each
 * is optional; the report shows what it is given.
 */
export interface Extras {
  efficiency?: number | null;
  verdict?: string | null;
  flags?: string[];
  /** idx of the processes on the critical path. */
  criticalPath?: number[];
  /** Per metric (proc_sums names): the model's median and band. */
  model?: Record<string, Band>;
  /** The name of that reference model. */
  modelName?: string;
  /** Why no critical path is drawn, when one could have been. */
  criticalNote?: string;
}

/** Reads extras for a job; hooked to analysis and baselines. */
export type ExtrasSource = (store: Store, job: Row) => Promise<Extras>;

/**
 * What every process contributes (sums, tree, lanes): few columns, the op
 * tag read by the database, so 100,000 rows stay cheap.
 */
function procSql(store: Store): string {
  const op = store.provider === "postgres"
    ? "tags->>'op'"
    : "json_extract(tags, '$.op')";
  return `SELECT parent, exename, ${op}, start_us, end_us, cpu_time,
                 inclusive_cpu_time
            FROM processes WHERE jobid = ? ORDER BY idx`;
}

/** The rest of what a drawn process shows, for a slice of idx values. */
const DETAIL_SQL = (n: number) =>
  `SELECT idx, pid, args, rssmax, exitcode, exitsignal FROM processes
    WHERE jobid = ? AND idx IN (${Array(n).fill("?").join(", ")})`;

/** The processes of a job, column by column (index: idx). */
interface Procs {
  n: number;
  parent: Int32Array;
  exe: string[];
  op: (string | null)[];
  start: Float64Array;
  end: Float64Array;
  cpu: Float64Array;
  incl: Float64Array;
}

/** What a drawn process shows beyond Procs. */
interface Detail {
  pid: number;
  args: string;
  rss: number | null;
  exitcode: number | null;
  exitsignal: number | null;
}

/** The metrics of the table, in this order, when the job has them. */
const METRICS = [
  "duration",
  "cpu_time",
  "usertime",
  "systemtime",
  "num_procs",
  "num_threads",
  "rssmax_peak",
  "rchar",
  "wchar",
  "read_bytes",
  "write_bytes",
  "syscr",
  "syscw",
  "minflt",
  "majflt",
  "vol_ctxsw",
  "invol_ctxsw",
  "time_oncpu",
  "time_waiting",
  "delayacct_blkio_time",
];

/**
 * The report of job `jobid`, or null when it is not in the database.
 * `extras` adds what analysis and models know (nothing by default).
 */
export async function loadReport(
  store: Store,
  jobid: string,
  extras?: ExtrasSource,
): Promise<ReportData | null> {
  const [job] = await store.query("SELECT * FROM jobs WHERE jobid = ?", [
    jobid,
  ]);
  if (!job) return null;
  const procs = await readProcs(store, jobid);
  const ex = extras ? await extras(store, job) : {};
  let t0 = typeof job.start_us === "number" ? job.start_us : Infinity;
  if (t0 === Infinity) { for (const s of procs.start) t0 = Math.min(t0, s); }
  const tree = processTree(procs);
  const critical = new Set(ex.criticalPath ?? []);
  const drawn = chooseDrawn(procs, critical);
  const details = await readDetails(store, jobid, drawn.chosen);
  return {
    job: header(job, ex),
    byOp: groupSums(procs, procs.op.map((o) => o ?? "(no op)")),
    byExe: groupSums(procs, procs.exe),
    gantt: gantt(procs, details, t0 === Infinity ? 0 : t0, critical, {
      ...drawn,
      note: [drawn.note, ex.criticalNote ?? ""].filter((x) => x).join(" "),
    }),
    tree: tree.nodes,
    treeNote: tree.note,
    metrics: metricRows(job, ex),
    made_us: Date.now() * 1000,
  };
}

async function readProcs(store: Store, jobid: string): Promise<Procs> {
  const rows = await store.queryValues(procSql(store), [jobid]);
  const n = rows.length;
  const p: Procs = {
    n,
    parent: new Int32Array(n),
    exe: new Array(n),
    op: new Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    cpu: new Float64Array(n),
    incl: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    p.parent[i] = typeof r[0] === "number" ? r[0] : -1;
    p.exe[i] = String(r[1] ?? "");
    p.op[i] = r[2] === null || r[2] === undefined ? null : String(r[2]);
    p.start[i] = num(r[3]);
    p.end[i] = Math.max(num(r[4]), p.start[i]);
    p.cpu[i] = num(r[5]);
    p.incl[i] = num(r[6]);
  }
  return p;
}

/** The details of the processes `idx`, by idx. */
async function readDetails(
  store: Store,
  jobid: string,
  idx: readonly number[],
): Promise<Map<number, Detail>> {
  const out = new Map<number, Detail>();
  // In slices: some databases limit the number of parameters.
  for (let i = 0; i < idx.length; i += 500) {
    const part = idx.slice(i, i + 500);
    const rows = await store.queryValues(DETAIL_SQL(part.length), [
      jobid,
      ...part,
    ]);
    for (const r of rows) {
      out.set(Number(r[0]), {
        pid: num(r[1]),
        args: String(r[2] ?? ""),
        rss: r[3] as number | null,
        exitcode: r[4] as number | null,
        exitsignal: r[5] as number | null,
      });
    }
  }
  return out;
}

function num(v: SqlValue): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function str(v: SqlValue): string {
  return v === null ? "" : String(v);
}

function header(job: Row, ex: Extras): JobHeader {
  const hosts = json<string[]>(job.hosts) ?? [];
  return {
    jobid: String(job.jobid),
    jobname: str(job.jobname),
    username: str(job.username),
    hosts,
    start_us: job.start_us as number | null,
    end_us: job.end_us as number | null,
    duration_us: job.duration_us as number | null,
    cpu_time_us: job.cpu_time as number | null,
    exitcode: job.exitcode as number | null,
    exp_name: str(job.exp_name),
    exp_component: str(job.exp_component),
    exp_oname: str(job.exp_oname),
    num_procs: num(job.num_procs),
    num_threads: num(job.num_threads),
    tags: jsonObject(job.tags),
    annotations: jsonObject(job.annotations),
    efficiency: ex.efficiency ?? null,
    verdict: ex.verdict ?? null,
    flags: ex.flags ?? [],
    model: ex.modelName ?? null,
  };
}

/**
 * Sums per group over every process, busiest (most cpu) first; past
 * MAX_GROUPS the rest are summed into OTHER (its wall is their union too).
 */
export function groupSums(
  p: Pick<Procs, "n" | "start" | "end" | "cpu">,
  keys: readonly string[],
): GroupSum[] {
  const members = new Map<string, number[]>();
  for (let i = 0; i < p.n; i++) {
    let m = members.get(keys[i]);
    if (!m) members.set(keys[i], m = []);
    m.push(i);
  }
  const sums = [...members].map(([name, idx]) => ({
    name,
    idx,
    cpu: idx.reduce((s, i) => s + p.cpu[i], 0),
  }));
  sums.sort((a, b) => b.cpu - a.cpu || (a.name < b.name ? -1 : 1));
  const kept = sums.slice(0, MAX_GROUPS);
  if (sums.length > MAX_GROUPS) {
    const rest = sums.slice(MAX_GROUPS);
    kept.push({
      name: OTHER,
      idx: rest.flatMap((r) => r.idx),
      cpu: rest.reduce((s, r) => s + r.cpu, 0),
    });
  }
  return kept.map((g) => ({
    name: g.name,
    procs: g.idx.length,
    cpu_us: g.cpu,
    wall_us: unionLength(g.idx, p.start, p.end),
  }));
}

/** The total length of the union of the intervals [start, end) of `idx`. */
export function unionLength(
  idx: readonly number[],
  start: ArrayLike<number>,
  end: ArrayLike<number>,
): number {
  const order = [...idx].sort((a, b) => start[a] - start[b]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const i of order) {
    if (start[i] > to) {
      if (to > from) total += to - from;
      from = start[i];
      to = end[i];
    } else if (end[i] > to) to = end[i];
  }
  if (to > from) total += to - from;
  return total;
}

/**
 * The timeline rows. Lanes are the `op` tag when processes have one, else
 * the executable. Past MAX_GANTT processes only the longest are drawn
 * (and every one on the critical path), and the note says so.
 */
/** The processes the timeline draws, how lanes are keyed, the note. */
interface Drawn {
  chosen: number[];
  key: (i: number) => string;
  byOp: boolean;
  note: string;
}

/**
 * Which processes the timeline draws: all of them up to MAX_GANTT, else a
 * sample (see `sample`) and a note saying so. Lanes are the `op` tag when
 * processes have one, else the executable.
 */
function chooseDrawn(p: Procs, critical: Set<number>): Drawn {
  const byOp = p.op.some((o) => o !== null);
  const key = (i: number) => byOp ? (p.op[i] ?? "(no op)") : p.exe[i];
  if (p.n <= MAX_GANTT) {
    return { chosen: [...Array(p.n).keys()], key, byOp, note: "" };
  }
  const chosen = sample(p, key, critical);
  const note = `Showing ${fmt(chosen.length)} of ${
    fmt(p.n)
  } processes: the longest of each group, in proportion to its size${
    critical.size ? ", after the longest steps of the critical path" : ""
  }; the sums and the tree count every process.`;
  return { chosen, key, byOp, note };
}

/** The timeline rows of the drawn processes, stacked within their lanes. */
function gantt(
  p: Procs,
  details: Map<number, Detail>,
  t0: number,
  critical: Set<number>,
  drawn: Drawn,
): Gantt {
  const { key, byOp, note } = drawn;
  const chosen = [...drawn.chosen];
  // Lanes in order of their first start, as the job ran; past MAX_LANES
  // the least busy share one.
  const first = new Map<string, number>();
  const laneCpu = new Map<string, number>();
  for (const i of chosen) {
    const k = key(i);
    laneCpu.set(k, (laneCpu.get(k) ?? 0) + p.cpu[i]);
    if (p.start[i] < (first.get(k) ?? Infinity)) first.set(k, p.start[i]);
  }
  const busiest = [...laneCpu].sort((a, b) =>
    b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
  ).map((e) => e[0]);
  const lanes = busiest.slice(0, MAX_LANES).sort((a, b) =>
    first.get(a)! - first.get(b)! || (a < b ? -1 : 1)
  );
  if (busiest.length > MAX_LANES) lanes.push(OTHER);
  const laneOf = new Map(lanes.map((n, i) => [n, i]));
  const otherLane = lanes.length - 1;
  chosen.sort((a, b) => p.start[a] - p.start[b] || a - b);
  // Stack overlapping processes of a lane: first row free at the start.
  const rowEnds: number[][] = lanes.map(() => []);
  const strings: string[] = [];
  const stringIdx = new Map<string, number>();
  const intern = (s: string) => {
    let k = stringIdx.get(s);
    if (k === undefined) {
      k = strings.length;
      strings.push(s);
      stringIdx.set(s, k);
    }
    return k;
  };
  const g: Gantt = {
    by: byOp ? "op" : "exe",
    lanes,
    rows: [],
    lane: [],
    row: [],
    start: [],
    end: [],
    cpu: [],
    rss: [],
    exit: [],
    pid: [],
    exe: [],
    args: [],
    crit: [],
    strings,
    shown: chosen.length,
    total: p.n,
    note,
  };
  for (const i of chosen) {
    const lane = laneOf.get(key(i)) ?? otherLane;
    const ends = rowEnds[lane];
    let row = ends.findIndex((e) => e <= p.start[i]);
    if (row < 0) {
      if (ends.length < MAX_SUBROWS) row = ends.push(0) - 1;
      else row = ends.indexOf(Math.min(...ends));
    }
    ends[row] = Math.max(ends[row], p.end[i]);
    g.lane.push(lane);
    g.row.push(row);
    g.start.push(p.start[i] - t0);
    g.end.push(p.end[i] - t0);
    g.cpu.push(p.cpu[i]);
    const d = details.get(i);
    g.rss.push(d?.rss ?? -1);
    g.exit.push(d ? exitOf(d.exitcode, d.exitsignal) : -1);
    g.pid.push(d?.pid ?? 0);
    g.exe.push(intern(p.exe[i]));
    g.args.push(intern(cut(d?.args ?? "", MAX_ARGS)));
    g.crit.push(critical.has(i) ? 1 : 0);
  }
  g.rows = rowEnds.map((e) => Math.max(1, e.length));
  return g;
}

/**
 * MAX_GANTT processes: every one on the critical path, then for each
 * group a share in proportion to its size, its longest processes (ties
 * spread over the job by a scrambled index, not the first ones).
 */
function sample(
  p: Procs,
  key: (i: number) => string,
  critical: Set<number>,
): number[] {
  const groups = new Map<string, number[]>();
  // The critical path first, its longest steps up to half the bars.
  const out = [...critical].filter((i) => i >= 0 && i < p.n)
    .sort((a, b) => (p.end[b] - p.start[b]) - (p.end[a] - p.start[a]) || a - b)
    .slice(0, MAX_GANTT / 2);
  const taken = new Set(out);
  for (let i = 0; i < p.n; i++) {
    if (taken.has(i)) continue;
    let g = groups.get(key(i));
    if (!g) groups.set(key(i), g = []);
    g.push(i);
  }
  const room = Math.max(0, MAX_GANTT - out.length);
  const rest = p.n - out.length;
  const scramble = (i: number) => Math.imul(i, 2654435761) >>> 0;
  for (const g of groups.values()) {
    const quota = Math.max(1, Math.floor(room * g.length / rest));
    g.sort((a, b) =>
      (p.end[b] - p.start[b]) - (p.end[a] - p.start[a]) ||
      scramble(a) - scramble(b)
    );
    // Only the quota is drawn: the rest need not stay in order.
    out.push(...g.slice(0, quota));
  }
  return out.slice(0, MAX_GANTT);
}

function exitOf(code: number | null, signal: number | null): number | string {
  if (signal) return signal === 1 ? "signal" : `signal ${signal}`;
  return code ?? -1;
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

/** 100000 -> "100,000" (toLocaleString would load ICU's data first). */
function fmt(n: number): string {
  return humanCount(n);
}

/**
 * The process tree for a sunburst, its processes merged by executable
 * among siblings ("cp ×600"): a node's value is the inclusive cpu of its
 * members. Expanded breadth first until MAX_TREE_NODES; nodes under a
 * thousandth of the total are not expanded.
 */
export function processTree(
  p: Pick<Procs, "n" | "parent" | "exe" | "incl">,
): { nodes: TreeNode[]; note: string } {
  // Children as one flat array: process i's are kids[first[i]..first[i+1]).
  const first = new Int32Array(p.n + 1);
  const roots: number[] = [];
  for (let i = 0; i < p.n; i++) {
    if (p.parent[i] < 0) roots.push(i);
    else first[p.parent[i] + 1]++;
  }
  for (let i = 0; i < p.n; i++) first[i + 1] += first[i];
  const kids = new Int32Array(p.n);
  const fill = first.slice(0, p.n);
  for (let i = 0; i < p.n; i++) {
    if (p.parent[i] >= 0) kids[fill[p.parent[i]]++] = i;
  }
  const total = roots.reduce((s, i) => s + p.incl[i], 0);
  const small = total / 1000;
  let count = 0;
  let unexpanded = 0;
  const group = (members: number[]): TreeNode[] => {
    const byExe = new Map<string, number[]>();
    for (const i of members) {
      let m = byExe.get(p.exe[i]);
      if (!m) byExe.set(p.exe[i], m = []);
      m.push(i);
    }
    return [...byExe].map(([exe, m]) => {
      count++;
      const node: TreeNode & { members: number[] } = {
        name: m.length > 1 ? `${exe} ×${m.length}` : exe,
        value: m.reduce((s, i) => s + p.incl[i], 0) / 1e6,
        procs: m.length,
        members: m,
      };
      return node;
    }).sort((a, b) => b.value - a.value);
  };
  const top = group(roots);
  const queue = [...top] as (TreeNode & { members?: number[] })[];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q];
    const members = node.members!;
    delete node.members;
    const below: number[] = [];
    for (const i of members) {
      for (let k = first[i]; k < first[i + 1]; k++) below.push(kids[k]);
    }
    if (below.length === 0) continue;
    if (count >= MAX_TREE_NODES || node.value * 1e6 < small) {
      unexpanded += below.length;
      continue;
    }
    node.children = group(below);
    queue.push(...node.children);
  }
  for (const node of queue) delete node.members;
  // Sum processes below each node for the tooltips.
  const countBelow = (n: TreeNode): number => {
    if (n.children) {
      n.procs += n.children.reduce((s, c) => s + countBelow(c), 0);
    }
    return n.procs;
  };
  top.forEach(countBelow);
  for (const node of queue) roundValue(node);
  const note = unexpanded > 0
    ? `Siblings of one executable are merged; ${
      fmt(unexpanded)
    } processes under small or deep branches are counted in their ancestors, not drawn.`
    : "Siblings of one executable are merged (cp ×600).";
  return { nodes: top, note };
}

function roundValue(n: TreeNode): void {
  n.value = Math.round(n.value * 1e6) / 1e6;
}

function metricRows(job: Row, ex: Extras): MetricRow[] {
  const sums = jsonObject(job.proc_sums) as Record<string, number>;
  const value = (m: string): number | null =>
    m === "duration"
      ? job.duration_us as number | null
      : typeof sums[m] === "number"
      ? sums[m]
      : null;
  const extra = Object.keys(sums).filter((k) =>
    /^[A-Z]/.test(k) && !METRICS.includes(k)
  ).sort();
  return [...METRICS, ...extra]
    .filter((m) => value(m) !== null)
    .map((m) => ({
      name: m,
      unit: unitOf(m),
      value: value(m),
      model: ex.model?.[m] ?? null,
    }));
}

/**
 * The processes of one job as the analyses need them: the tree columns of
 * `show --tree` (so its grouping code is reused as is) plus times, I/O,
 * memory and tags, in idx (depth-first) order. Read from the database, or
 * from a job being submitted (any ProcessRows, before it is stored).
 */
import { processColumn } from "../db/mod.ts";
import type { ProcessRows, Row, SqlValue, Store } from "../db/mod.ts";
import type { TreeRow } from "../query/mod.ts";

/**
 * One job's processes, column-wise; position `i` is the i-th process in
 * idx order. Missing numbers are 0 (NaN never leaks into sums).
 */
export interface Procs {
  readonly n: number;
  /**
   * Rows for buildTree (src/query/tree.ts), depth included; empty when
   * built without them (procsFromProcessRows with tree: false).
   */
  readonly tree: TreeRow[];
  /** Position of the parent, -1 for a root. */
  readonly parent: Int32Array;
  /** End (exclusive) of the position range of each subtree. */
  readonly subtreeEnd: Int32Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** usertime + systemtime, µs. */
  readonly cpu: Float64Array;
  /** delayacct_blkio_time, µs. */
  readonly blkio: Float64Array;
  /** time_waiting (run queue), µs (stored in ns). */
  readonly runq: Float64Array;
  /** rssmax, KiB. */
  readonly rss: Float64Array;
  readonly readBytes: Float64Array;
  readonly writeBytes: Float64Array;
  readonly host: string[];
  /** Exec generation of the pid (papiex `generation`), -1 when unknown. */
  readonly generation: Float64Array;
  /** Process tags as JSON text, null for none. */
  readonly tags: (string | null)[];
  /** Whether a process has children among the job's processes. */
  readonly hasKids: Uint8Array;
}

/** The columns PROCS_SQL selects, in order (TreeRow's first). */
const PROCS_COLUMNS = [
  "idx",
  "parent",
  "pid",
  "exename",
  "args",
  "cpu_time",
  "inclusive_cpu_time",
  "exitcode",
  "exitsignal",
  "depth",
  "generation",
  "host",
  "start_us",
  "end_us",
  "tags",
  "rssmax",
  "delayacct_blkio_time",
  "time_waiting",
  "read_bytes",
  "write_bytes",
] as const;

/**
 * What an analysis needs of the processes: everything; all but the tree
 * grouping's columns (ops by a tag the job has); or only the tree and the
 * times (the critical path).
 */
export type ProcsNeed = "all" | "tags" | "critical";

const SKIP: Record<ProcsNeed, ReadonlySet<string>> = {
  all: new Set(),
  tags: new Set(["inclusive_cpu_time", "exitcode", "exitsignal", "generation"]),
  critical: new Set([
    "cpu_time",
    "inclusive_cpu_time",
    "exitcode",
    "exitsignal",
    "generation",
    "tags",
    "rssmax",
    "delayacct_blkio_time",
    "time_waiting",
    "read_bytes",
    "write_bytes",
  ]),
};

/**
 * What the analyses select, the tree columns first in TreeRow order (depth
 * at 9, generation and host at 10 and 11); a column an analysis does not
 * need is a NULL in its place (not read from the rows). One range of the
 * processes primary key. Parameters: jobid.
 */
export function procsSql(need: ProcsNeed = "all"): string {
  const cols = PROCS_COLUMNS.map((c) => SKIP[need].has(c) ? "NULL" : c);
  return `SELECT ${cols.join(", ")}
  FROM processes WHERE jobid = ? ORDER BY idx`;
}

/** Every column, for the benchmark's EXPLAIN and for readers. */
export const PROCS_SQL = procsSql("all");

/** Reads the processes of a stored job (what `need` asks for). */
export async function readProcs(
  store: Store,
  jobid: string,
  need: ProcsNeed = "all",
): Promise<Procs> {
  return procsFromValues(await store.queryValues(procsSql(need), [jobid]));
}

/**
 * What ops (and show) need for a job: without the tree columns when some
 * process has tag `by` (jobs.proc_tags says so), else everything.
 */
export function needForOps(job: Row, by: string): ProcsNeed {
  try {
    const tags = JSON.parse(String(job.proc_tags ?? "[]"));
    return Array.isArray(tags) &&
        tags.some((t) => t && typeof t === "object" && by in t)
      ? "tags"
      : "all";
  } catch {
    return "all";
  }
}

/** Rows in the PROCS_SQL column order, in idx order. */
export function procsFromValues(rows: readonly SqlValue[][]): Procs {
  const n = rows.length;
  const p = blank(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    // The row itself: buildTree reads only its TreeRow columns.
    p.tree.push(r as unknown as TreeRow);
    p.generation[i] = typeof r[10] === "number" ? r[10] : -1;
    p.host.push(String(r[11] ?? ""));
    p.start[i] = numOr0(r[12]);
    p.end[i] = numOr0(r[13]);
    p.tags.push(typeof r[14] === "string" ? r[14] : null);
    p.rss[i] = numOr0(r[15]);
    p.blkio[i] = numOr0(r[16]);
    p.runq[i] = numOr0(r[17]) / 1000;
    p.readBytes[i] = numOr0(r[18]);
    p.writeBytes[i] = numOr0(r[19]);
    p.cpu[i] = numOr0(r[5]);
  }
  return link(p);
}

const COL = {
  idx: processColumn("idx"),
  parent: processColumn("parent"),
  pid: processColumn("pid"),
  exename: processColumn("exename"),
  args: processColumn("args"),
  cpu: processColumn("cpu_time"),
  incl: processColumn("inclusive_cpu_time"),
  exitcode: processColumn("exitcode"),
  exitsignal: processColumn("exitsignal"),
  depth: processColumn("depth"),
  generation: processColumn("generation"),
  host: processColumn("host"),
  start: processColumn("start_us"),
  end: processColumn("end_us"),
  tags: processColumn("tags"),
  rss: processColumn("rssmax"),
  blkio: processColumn("delayacct_blkio_time"),
  runq: processColumn("time_waiting"),
  read: processColumn("read_bytes"),
  write: processColumn("write_bytes"),
};

/**
 * Gathers the processes of a job being submitted from its rows as they are
 * filled (PROCESS_COLUMNS order) by someone else: the store, as it writes
 * them, so the analysis at submit needs no second decoding of every row
 * (at 100,000 processes that was half its cost).
 */
export class ProcsCollector {
  readonly #p: Mutable;
  readonly #links: Float64Array;
  readonly #withTree: boolean;
  #seen = 0;

  constructor(n: number, opts: { tree?: boolean } = {}) {
    this.#p = blank(n);
    this.#links = new Float64Array(3 * n);
    this.#withTree = opts.tree ?? true;
  }

  /** Takes row `i` from `out` at `o` (as ProcessRows.fill wrote it). */
  take(i: number, out: readonly SqlValue[], o: number): void {
    const p = this.#p;
    const links = this.#links;
    const parent = out[o + COL.parent];
    links[3 * i] = out[o + COL.idx] as number;
    links[3 * i + 1] = typeof parent === "number" ? parent : -1;
    links[3 * i + 2] = out[o + COL.depth] as number;
    // Straight into the arrays: no row of every column is kept.
    if (this.#withTree) {
      p.tree[i] = [
        out[o + COL.idx] as number,
        parent as number | null,
        out[o + COL.pid] as number,
        out[o + COL.exename] as string | null,
        out[o + COL.args] as string | null,
        out[o + COL.cpu] as number | null,
        out[o + COL.incl] as number | null,
        out[o + COL.exitcode] as number | null,
        out[o + COL.exitsignal] as number | null,
        out[o + COL.depth] as number,
        out[o + COL.generation] as number | null,
        out[o + COL.host] as string | null,
      ];
    }
    const gen = out[o + COL.generation];
    p.generation[i] = typeof gen === "number" ? gen : -1;
    p.host[i] = String(out[o + COL.host] ?? "");
    p.start[i] = numOr0(out[o + COL.start]);
    p.end[i] = numOr0(out[o + COL.end]);
    const tags = out[o + COL.tags];
    p.tags[i] = typeof tags === "string" ? tags : null;
    p.cpu[i] = numOr0(out[o + COL.cpu]);
    p.rss[i] = numOr0(out[o + COL.rss]);
    p.blkio[i] = numOr0(out[o + COL.blkio]);
    p.runq[i] = numOr0(out[o + COL.runq]) / 1000;
    p.readBytes[i] = numOr0(out[o + COL.read]);
    p.writeBytes[i] = numOr0(out[o + COL.write]);
    this.#seen++;
  }

  /** The processes, once every row was taken once; else undefined. */
  result(): Procs | undefined {
    if (this.#seen !== this.#p.n) return undefined;
    return link(this.#p, this.#links);
  }
}

/**
 * `rows` as they are, also handing each filled row to `collector`: what a
 * store is given so that the analysis at submit gets its processes from
 * the store's own pass.
 */
export function collectingRows(
  rows: ProcessRows,
  collector: ProcsCollector,
): ProcessRows {
  return {
    get length() {
      return rows.length;
    },
    fill(i: number, out: SqlValue[], offset: number): void {
      rows.fill(i, out, offset);
      collector.take(i, out, offset);
    },
  };
}

/**
 * The processes of a job that is being submitted, from the rows the store
 * is given (PROCESS_COLUMNS order), so submit need not read them back.
 */
export function procsFromProcessRows(
  rows: ProcessRows,
  opts: { tree?: boolean } = {},
): Procs {
  const n = rows.length;
  const c = new ProcsCollector(n, opts);
  const out: SqlValue[] = [];
  for (let i = 0; i < n; i++) {
    rows.fill(i, out, 0);
    c.take(i, out, 0);
  }
  return c.result()!;
}

function numOr0(v: SqlValue): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

type Mutable = {
  -readonly [K in keyof Procs]: Procs[K];
};

function blank(n: number): Mutable {
  return {
    n,
    tree: [],
    parent: new Int32Array(n),
    subtreeEnd: new Int32Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    cpu: new Float64Array(n),
    blkio: new Float64Array(n),
    runq: new Float64Array(n),
    rss: new Float64Array(n),
    readBytes: new Float64Array(n),
    writeBytes: new Float64Array(n),
    host: [],
    generation: new Float64Array(n),
    tags: [],
    hasKids: new Uint8Array(n),
  };
}

/**
 * Parent positions, subtree ranges and leaves, from idx, parent idx and
 * depth: `links` holds them three by three (parent -1 for none), else they
 * are read from the tree rows.
 */
function link(p: Mutable, links?: Float64Array): Procs {
  const n = p.n;
  if (!links) {
    links = new Float64Array(3 * n);
    p.tree.forEach((r, i) => {
      links![3 * i] = r[0];
      links![3 * i + 1] = r[1] ?? -1;
      links![3 * i + 2] = r[9] ?? 0;
    });
  }
  let maxIdx = -1;
  for (let i = 0; i < n; i++) {
    if (links[3 * i] > maxIdx) maxIdx = links[3 * i];
  }
  const pos = new Int32Array(maxIdx + 1).fill(-1);
  for (let i = 0; i < n; i++) pos[links[3 * i]] = i;
  for (let i = 0; i < n; i++) {
    const par = links[3 * i + 1];
    const pp = par < 0 || par > maxIdx ? -1 : pos[par];
    p.parent[i] = pp >= 0 && pp < i ? pp : -1;
    if (p.parent[i] >= 0) p.hasKids[p.parent[i]] = 1;
  }
  // Depth-first order: a subtree ends at the next process no deeper.
  const stack: number[] = [];
  const depth = (i: number) => links![3 * i + 2];
  for (let i = 0; i <= n; i++) {
    const d = i < n ? depth(i) : -1;
    while (stack.length && depth(stack[stack.length - 1]) >= d) {
      p.subtreeEnd[stack.pop()!] = i;
    }
    if (i < n) stack.push(i);
  }
  return p;
}

/**
 * The processes of one job while it is being read: numbers in chunks of
 * Float64Array (one row-major chunk per 8,192 processes, NaN for "none"),
 * strings in arrays, so a million processes stay a few hundred MB and the
 * hot loops allocate nothing per value. After `finish` it serves the rows
 * to a Store in depth-first tree order (ProcessRows).
 */
import { PROCESS_COLUMNS, STANDARD_METRICS } from "../db/columns.ts";
import type { ProcessRows, SqlValue } from "../db/store.ts";
import { computeTree, type Tree } from "./tree.ts";

/** Per-process numbers, at these offsets in a row. */
export const F_PID = 0;
export const F_GENERATION = 1;
export const F_PPID = 2;
export const F_PGID = 3;
export const F_SID = 4;
export const F_EXITCODE = 5;
export const F_EXITSIGNAL = 6;
export const F_MPINUMRANKS = 7;
export const F_MPIRANK = 8;
export const F_NUMTIDS = 9;
export const F_START = 10;
export const F_END = 11;
/** Standard metric `s` (index in STANDARD_METRICS) is at F_METRICS + s. */
export const F_METRICS = 12;
/** Numbers per row. */
export const STRIDE = F_METRICS + STANDARD_METRICS.length;

const SHIFT = 13;
const CHUNK_ROWS = 1 << SHIFT;
const MASK = CHUNK_ROWS - 1;

const USERTIME = F_METRICS + STANDARD_METRICS.indexOf("usertime");
const SYSTEMTIME = F_METRICS + STANDARD_METRICS.indexOf("systemtime");

/** Where each process was read from, for messages. */
export interface Origin {
  file: string;
  line: number;
}

/** The processes of one job (see the module comment). */
export class ProcessTable implements ProcessRows {
  readonly jobid: string;
  /** Number of processes read so far. */
  length = 0;
  /** Names of the metrics without a column of their own, by extra slot. */
  readonly extraNames: string[] = [];
  readonly hosts: string[] = [];
  readonly exenames: string[] = [];
  readonly paths: string[] = [];
  readonly args: string[] = [];
  /** Tags as the collector wrote them ("k:v;k2:v2"), "" for none. */
  readonly tags: string[] = [];
  /** Per-thread values as JSON, null for a single-threaded process. */
  readonly threads: (string | null)[] = [];
  /** File index and line of each process (for warnings). */
  readonly fileOf: number[] = [];
  readonly lineOf: number[] = [];
  readonly files: string[] = [];
  #chunks: Float64Array[] = [];
  /** Extra metric values: per extra slot, chunks like #chunks (width 1). */
  #extras: Float64Array[][] = [];
  #tagsJson = new Map<string, string | null>();
  #tree?: Tree;

  constructor(jobid: string) {
    this.jobid = jobid;
  }

  /** Appends a process with every number unset; returns its row. */
  add(): number {
    const r = this.length++;
    if ((r & MASK) === 0) {
      this.#chunks.push(new Float64Array(CHUNK_ROWS * STRIDE).fill(NaN));
      for (const cols of this.#extras) {
        cols.push(new Float64Array(CHUNK_ROWS).fill(NaN));
      }
    }
    return r;
  }

  /** The chunk holding row `r`'s numbers; they start at `base(r)`. */
  chunk(r: number): Float64Array {
    return this.#chunks[r >> SHIFT];
  }

  /** Offset of row `r`'s numbers in its chunk. */
  base(r: number): number {
    return (r & MASK) * STRIDE;
  }

  /** One number of row `r` (NaN when unset). */
  get(r: number, field: number): number {
    return this.#chunks[r >> SHIFT][(r & MASK) * STRIDE + field];
  }

  /** The extra slot for a metric name, registering it on first sight. */
  extraSlot(name: string): number {
    let slot = this.extraNames.indexOf(name);
    if (slot < 0) {
      slot = this.extraNames.length;
      this.extraNames.push(name);
      this.#extras.push(
        this.#chunks.map(() => new Float64Array(CHUNK_ROWS).fill(NaN)),
      );
    }
    return slot;
  }

  /** Extra metric `slot` of row `r` (NaN when unset). */
  getExtra(r: number, slot: number): number {
    return this.#extras[slot][r >> SHIFT][r & MASK];
  }

  /** Sets extra metric `slot` of row `r`. */
  setExtra(r: number, slot: number, v: number): void {
    this.#extras[slot][r >> SHIFT][r & MASK] = v;
  }

  /** Index of a file name in `files`, for fileOf. */
  fileIndex(name: string): number {
    const last = this.files.length - 1;
    if (last >= 0 && this.files[last] === name) return last;
    this.files.push(name);
    return last + 1;
  }

  /** Where row `r` was read. */
  origin(r: number): Origin {
    return { file: this.files[this.fileOf[r]], line: this.lineOf[r] };
  }

  /** usertime + systemtime of row `r`, NaN if either is unset. */
  cpuTime(r: number): number {
    const ch = this.#chunks[r >> SHIFT];
    const b = (r & MASK) * STRIDE;
    return ch[b + USERTIME] + ch[b + SYSTEMTIME];
  }

  /** Process tags as a JSON object text, null for none. */
  tagsJson(raw: string): string | null {
    let json = this.#tagsJson.get(raw);
    if (json === undefined) {
      const tags = parseTags(raw);
      json = Object.keys(tags).length ? JSON.stringify(tags) : null;
      this.#tagsJson.set(raw, json);
    }
    return json;
  }

  /** Computes the process tree; rows are then served in tree order. */
  finish(): Tree {
    const n = this.length;
    const hostIds = new Int32Array(n);
    const ids = new Map<string, number>();
    const pid = new Float64Array(n);
    const ppid = new Float64Array(n);
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    const cpu = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const h = this.hosts[r];
      let id = ids.get(h);
      if (id === undefined) ids.set(h, id = ids.size);
      hostIds[r] = id;
      const ch = this.#chunks[r >> SHIFT];
      const b = (r & MASK) * STRIDE;
      pid[r] = ch[b + F_PID];
      ppid[r] = ch[b + F_PPID];
      start[r] = ch[b + F_START];
      end[r] = ch[b + F_END];
      const c = ch[b + USERTIME] + ch[b + SYSTEMTIME];
      cpu[r] = c === c ? c : 0;
    }
    this.#tree = computeTree({ hostIds, pid, ppid, start, end, cpu });
    return this.#tree;
  }

  /** The tree computed by finish(). */
  get tree(): Tree {
    if (!this.#tree) throw new Error("ProcessTable.finish() not called");
    return this.#tree;
  }

  fill(i: number, out: SqlValue[], o: number): void {
    const tree = this.tree;
    const r = tree.order[i];
    const ch = this.#chunks[r >> SHIFT];
    const b = (r & MASK) * STRIDE;
    const start = ch[b + F_START];
    const end = ch[b + F_END];
    const cpu = ch[b + USERTIME] + ch[b + SYSTEMTIME];
    out[o] = this.jobid;
    out[o + 1] = i;
    out[o + 2] = this.hosts[r];
    out[o + 3] = num(ch[b + F_PID]);
    out[o + 4] = num(ch[b + F_GENERATION]);
    out[o + 5] = num(ch[b + F_PPID]);
    out[o + 6] = num(ch[b + F_PGID]);
    out[o + 7] = num(ch[b + F_SID]);
    out[o + 8] = this.exenames[r];
    out[o + 9] = this.paths[r];
    out[o + 10] = this.args[r];
    out[o + 11] = this.tagsJson(this.tags[r]);
    out[o + 12] = num(ch[b + F_EXITCODE]);
    out[o + 13] = num(ch[b + F_EXITSIGNAL]);
    out[o + 14] = num(ch[b + F_MPINUMRANKS]);
    out[o + 15] = num(ch[b + F_MPIRANK]);
    out[o + 16] = num(start);
    out[o + 17] = num(end);
    out[o + 18] = num(end - start);
    out[o + 19] = num(ch[b + F_NUMTIDS]);
    out[o + 20] = num(cpu);
    let k = o + 21;
    for (let m = F_METRICS; m < STRIDE; m++) out[k++] = num(ch[b + m]);
    out[k++] = this.#extraJson(r);
    out[k++] = this.threads[r];
    const parent = tree.parent[i];
    out[k++] = parent < 0 ? null : parent;
    out[k++] = tree.depth[i];
    out[k] = tree.inclusiveCpu[i];
  }

  #extraJson(r: number): string | null {
    const names = this.extraNames;
    if (names.length === 0) return null;
    let json = "";
    for (let s = 0; s < names.length; s++) {
      const v = this.#extras[s][r >> SHIFT][r & MASK];
      if (v !== v) continue;
      json += (json ? "," : "{") + JSON.stringify(names[s]) + ":" + v;
    }
    return json ? json + "}" : null;
  }
}

function num(v: number): number | null {
  return v === v ? v : null;
}

/**
 * Collector tags "k:v;k2:v2" as an object; a tag without ":" gets the
 * value "". Blanks around keys and values are dropped.
 */
export function parseTags(raw: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of raw.split(";")) {
    const colon = part.indexOf(":");
    const key = (colon < 0 ? part : part.slice(0, colon)).trim();
    if (!key) continue;
    tags[key] = colon < 0 ? "" : part.slice(colon + 1).trim();
  }
  return tags;
}

// The fill() offsets above follow PROCESS_COLUMNS; fail at load if it moves.
const expected = [
  "jobid",
  "idx",
  "host",
  "pid",
  "generation",
  "ppid",
  "pgid",
  "sid",
  "exename",
  "path",
  "args",
  "tags",
  "exitcode",
  "exitsignal",
  "mpinumranks",
  "mpirank",
  "start_us",
  "end_us",
  "duration_us",
  "numtids",
  "cpu_time",
  ...STANDARD_METRICS,
  "extra_metrics",
  "threads",
  "parent",
  "depth",
  "inclusive_cpu_time",
];
if (PROCESS_COLUMNS.map((c) => c.name).join() !== expected.join()) {
  throw new Error("ProcessTable.fill is out of step with PROCESS_COLUMNS");
}

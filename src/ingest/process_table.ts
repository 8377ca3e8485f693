/**
 * The processes of one job while it is being read. The process being read
 * is a Float64Array row (NaN for "none") that readers write into; finished
 * rows are packed as varints (PackedRows), so a million processes take
 * about 100 MB of numbers; strings stay in arrays. After `finish` the table
 * serves the rows to a Store in depth-first tree order (ProcessRows).
 */
import { PROCESS_COLUMNS, STANDARD_METRICS } from "../db/mod.ts";
import type { ProcessRows, SqlValue } from "../db/mod.ts";
import { PackedRows } from "./packed_rows.ts";
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

/** Extra metrics are kept in chunks of this many processes. */
const SHIFT = 13;
const CHUNK_ROWS = 1 << SHIFT;
const MASK = CHUNK_ROWS - 1;

const USERTIME = F_METRICS + STANDARD_METRICS.indexOf("usertime");
const SYSTEMTIME = F_METRICS + STANDARD_METRICS.indexOf("systemtime");
const RSSMAX = F_METRICS + STANDARD_METRICS.indexOf("rssmax");

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
  #rows = new PackedRows(STRIDE, [F_START, F_END]);
  /** The numbers of the process being read (row length - 1). */
  #current = new Float64Array(STRIDE).fill(NaN);
  #scratch = new Float64Array(STRIDE);
  #scratchRow = -1;
  /** What the tree needs, by row, kept as rows are packed. */
  #pid = new Float64Array(1024);
  #ppid = new Float64Array(1024);
  #start = new Float64Array(1024);
  #end = new Float64Array(1024);
  #cpu = new Float64Array(1024);
  /** Sums over processes of each number (NaN skipped), and whether seen. */
  readonly sums = new Float64Array(STRIDE);
  readonly seen = new Uint8Array(STRIDE);
  /** Largest rssmax of any process. */
  rssPeak = 0;
  /** Extra metric values: per extra slot, chunks of CHUNK_ROWS. */
  #extras: Float64Array[][] = [];
  #tagsJson = new Map<string, string | null>();
  #tree?: Tree;

  constructor(jobid: string) {
    this.jobid = jobid;
  }

  /**
   * Appends a process with every number unset and returns its row; its
   * numbers are then written into `current`.
   */
  add(): number {
    if (this.length > 0) this.#commit();
    this.#current.fill(NaN);
    this.#scratchRow = -1;
    const r = this.length++;
    if ((r & MASK) === 0) {
      for (const cols of this.#extras) {
        cols.push(new Float64Array(CHUNK_ROWS).fill(NaN));
      }
    }
    return r;
  }

  /** Packs the current row and notes what the tree and the sums need. */
  #commit(): void {
    const v = this.#current;
    const r = this.#rows.length;
    this.#rows.append(v);
    if (r === this.#pid.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#pid = grow(this.#pid);
      this.#ppid = grow(this.#ppid);
      this.#start = grow(this.#start);
      this.#end = grow(this.#end);
      this.#cpu = grow(this.#cpu);
    }
    this.#pid[r] = v[F_PID];
    this.#ppid[r] = v[F_PPID];
    this.#start[r] = v[F_START];
    this.#end[r] = v[F_END];
    const cpu = v[USERTIME] + v[SYSTEMTIME];
    this.#cpu[r] = cpu === cpu ? cpu : 0;
    const sums = this.sums;
    const seen = this.seen;
    for (let f = 0; f < STRIDE; f++) {
      const x = v[f];
      if (x === x) {
        sums[f] += x;
        seen[f] = 1;
      }
    }
    if (v[RSSMAX] > this.rssPeak) this.rssPeak = v[RSSMAX];
  }

  /** Start (µs) of row `r`. */
  startOf(r: number): number {
    return r < this.#rows.length ? this.#start[r] : this.#current[F_START];
  }

  /** End (µs) of row `r`. */
  endOf(r: number): number {
    return r < this.#rows.length ? this.#end[r] : this.#current[F_END];
  }

  /** The numbers of the last process added (write them here). */
  get current(): Float64Array {
    return this.#current;
  }

  /**
   * The numbers of row `r` (F_* offsets). The array is reused: read it
   * before asking for another row.
   */
  row(r: number): Float64Array {
    if (r === this.length - 1 && this.#rows.length < this.length) {
      return this.#current;
    }
    if (r !== this.#scratchRow) {
      this.#rows.read(r, this.#scratch);
      this.#scratchRow = r;
    }
    return this.#scratch;
  }

  /** One number of row `r` (NaN when unset). */
  get(r: number, field: number): number {
    return this.row(r)[field];
  }

  /** The extra slot for a metric name, registering it on first sight. */
  extraSlot(name: string): number {
    let slot = this.extraNames.indexOf(name);
    if (slot < 0) {
      slot = this.extraNames.length;
      this.extraNames.push(name);
      const chunks = Math.ceil(this.length / CHUNK_ROWS);
      this.#extras.push(
        Array.from(
          { length: chunks },
          () => new Float64Array(CHUNK_ROWS).fill(NaN),
        ),
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

  /**
   * Packs the last process and computes the process tree; rows are then
   * served in tree order. Call once, after the last row.
   */
  finish(): Tree {
    const n = this.length;
    if (n > this.#rows.length) this.#commit();
    this.#scratchRow = -1;
    const hostIds = new Int32Array(n);
    const ids = new Map<string, number>();
    for (let r = 0; r < n; r++) {
      const h = this.hosts[r];
      let id = ids.get(h);
      if (id === undefined) ids.set(h, id = ids.size);
      hostIds[r] = id;
    }
    this.#tree = computeTree({
      hostIds,
      pid: this.#pid.subarray(0, n),
      ppid: this.#ppid.subarray(0, n),
      start: this.#start.subarray(0, n),
      end: this.#end.subarray(0, n),
      cpu: this.#cpu.subarray(0, n),
    });
    // Only the starts and ends are still needed (for summaries).
    this.#pid = this.#ppid = this.#cpu = new Float64Array(0);
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
    const row = this.row(r);
    const start = row[F_START];
    const end = row[F_END];
    const cpu = row[USERTIME] + row[SYSTEMTIME];
    out[o] = this.jobid;
    out[o + 1] = i;
    out[o + 2] = this.hosts[r];
    out[o + 3] = num(row[F_PID]);
    out[o + 4] = num(row[F_GENERATION]);
    out[o + 5] = num(row[F_PPID]);
    out[o + 6] = num(row[F_PGID]);
    out[o + 7] = num(row[F_SID]);
    out[o + 8] = this.exenames[r];
    out[o + 9] = this.paths[r];
    out[o + 10] = this.args[r];
    out[o + 11] = this.tagsJson(this.tags[r]);
    out[o + 12] = num(row[F_EXITCODE]);
    out[o + 13] = num(row[F_EXITSIGNAL]);
    out[o + 14] = num(row[F_MPINUMRANKS]);
    out[o + 15] = num(row[F_MPIRANK]);
    out[o + 16] = num(start);
    out[o + 17] = num(end);
    out[o + 18] = num(end - start);
    out[o + 19] = num(row[F_NUMTIDS]);
    out[o + 20] = num(cpu);
    let k = o + 21;
    for (let m = F_METRICS; m < STRIDE; m++) out[k++] = num(row[m]);
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

/**
 * `epmt export`: every stored column of jobs, their processes, or their
 * threads, as JSON or CSV, streamed a page of processes at a time so a
 * 200,000-process job never sits in memory whole. Column names are the
 * stored ones (docs/schema.md gives their units); args are exact.
 */
import { JOB_COLUMNS, PROCESS_COLUMNS, threadsOf } from "../db/mod.ts";
import type { Row, Store } from "../db/mod.ts";
import { PAGE, PROCESS_PAGE_SQL } from "./sql.ts";
import { json } from "./store.ts";
import { maskSecrets } from "../secrets.ts";
import { csvLine } from "./table.ts";
import type { Writer } from "./output.ts";

/** What to export: one record per job, per process or per thread. */
export type ExportWhat = "jobs" | "procs" | "threads";

/** The output forms of export. */
export type ExportFormat = "json" | "csv";

const PROCESS_NAMES = PROCESS_COLUMNS.map((c) => c.name);
const PROCESS_JSON = new Set(
  PROCESS_COLUMNS.filter((c) => c.type === "json").map((c) => c.name),
);
const JOB_NAMES = JOB_COLUMNS.map((c) => c.name);
const JOB_JSON = new Set(
  JOB_COLUMNS.filter((c) => c.type === "json").map((c) => c.name),
);

/** The leading columns of a thread record, before the thread's own. */
const THREAD_KEYS = ["jobid", "idx", "host", "pid", "exename"];

/** Streams records as a JSON array (one per line) or CSV with a header. */
class RecordSink {
  #w: Writer;
  #format: ExportFormat;
  #columns: readonly string[];
  #count = 0;

  constructor(w: Writer, format: ExportFormat, columns: readonly string[]) {
    this.#w = w;
    this.#format = format;
    this.#columns = columns;
    if (format === "csv") w.line(csvLine(columns));
    else w.write("[");
  }

  /** Adds one record (values by column name; JSON columns as data). */
  add(record: Record<string, unknown>): void {
    if (this.#format === "csv") {
      this.#w.line(csvLine(this.#columns.map((c) => record[c])));
    } else {
      this.#w.write((this.#count ? ",\n" : "\n") + JSON.stringify(record));
    }
    this.#count++;
  }

  /** Ends the output; returns the number of records. */
  end(): number {
    if (this.#format === "json") this.#w.line(this.#count ? "\n]" : "]");
    return this.#count;
  }
}

/** A row with its JSON text columns parsed into data. */
function parsed(
  row: Row,
  names: readonly string[],
  jsonColumns: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = jsonColumns.has(n) ? json(row[n]) : row[n];
  return out;
}

/** Every process row of a job in idx order, a page at a time. */
async function* processPages(
  store: Store,
  jobid: string,
): AsyncGenerator<Row[]> {
  let from = 0;
  for (;;) {
    const rows = await store.query(PROCESS_PAGE_SQL, [jobid, from]);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    from = Number(rows[rows.length - 1].idx) + 1;
  }
}

/**
 * Writes `what` of `jobs` (their full jobs rows, in the order wanted) to
 * `w`; returns the number of records written.
 */
export async function exportJobs(
  store: Store,
  jobs: readonly Row[],
  what: ExportWhat,
  format: ExportFormat,
  w: Writer,
): Promise<number> {
  if (what === "jobs") {
    const sink = new RecordSink(w, format, JOB_NAMES);
    for (const j of jobs) {
      const record = parsed(j, JOB_NAMES, JOB_JSON);
      // Rows submitted by an older epmt may hold what is now a secret.
      for (const k of ["env", "env_changes", "metadata"]) {
        record[k] = maskSecrets(record[k]);
      }
      sink.add(record);
    }
    return sink.end();
  }
  if (what === "procs") {
    const sink = new RecordSink(w, format, PROCESS_NAMES);
    for (const j of jobs) {
      for await (const page of processPages(store, String(j.jobid))) {
        for (const p of page) sink.add(parsed(p, PROCESS_NAMES, PROCESS_JSON));
      }
    }
    return sink.end();
  }
  // Threads: the jobs' thread columns, united in order of appearance.
  const perJob = jobs.map((j) => json<string[]>(j.thread_columns) ?? []);
  const columns = [...THREAD_KEYS];
  for (const cols of perJob) {
    for (const c of cols) if (!columns.includes(c)) columns.push(c);
  }
  const sink = new RecordSink(w, format, columns);
  for (const [k, j] of jobs.entries()) {
    const cols = perJob[k];
    for await (const page of processPages(store, String(j.jobid))) {
      for (const p of page) {
        for (const t of threadsOf(cols, p)) {
          const rec: Record<string, unknown> = {
            jobid: j.jobid,
            idx: p.idx,
            host: p.host,
            pid: p.pid,
            exename: p.exename,
          };
          cols.forEach((c, i) => rec[c] = t[i]);
          sink.add(rec);
        }
      }
    }
  }
  return sink.end();
}

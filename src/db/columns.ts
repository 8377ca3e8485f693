/**
 * The columns of the `jobs` and `processes` tables, in the order the writers
 * send them. Kept free of database code so the ingest side can fill rows in
 * this order without loading a driver. docs/schema.md describes each column.
 */

/** The SQL type of a column, mapped to each database's own type. */
export type ColumnType = "text" | "int" | "bigint" | "json";

/** One column: its name and type. */
export interface Column {
  name: string;
  type: ColumnType;
}

/**
 * The papiex metrics with a column of their own, in collector order. Other
 * metric columns a collector writes (event counters such as
 * PERF_COUNT_SW_CPU_CLOCK, rdtsc_duration) go into `extra_metrics`.
 */
export const STANDARD_METRICS: readonly string[] = [
  "usertime",
  "systemtime",
  "rssmax",
  "minflt",
  "majflt",
  "inblock",
  "outblock",
  "vol_ctxsw",
  "invol_ctxsw",
  "cminflt",
  "cmajflt",
  "cutime",
  "cstime",
  "num_threads",
  "starttime",
  "processor",
  "delayacct_blkio_time",
  "guest_time",
  "rchar",
  "wchar",
  "syscr",
  "syscw",
  "read_bytes",
  "write_bytes",
  "cancelled_write_bytes",
  "time_oncpu",
  "time_waiting",
  "timeslices",
];

/**
 * Metrics that are not added up: over threads, rssmax and num_threads take
 * the maximum and starttime/processor the first thread's value; the job sums
 * leave starttime and processor out (a sum of them means nothing).
 */
export const NON_ADDITIVE_METRICS: ReadonlySet<string> = new Set([
  "rssmax",
  "num_threads",
  "starttime",
  "processor",
]);

const c = (name: string, type: ColumnType): Column => ({ name, type });

/** `processes`: one row per process, in the order the writers send them. */
export const PROCESS_COLUMNS: readonly Column[] = [
  c("jobid", "text"),
  c("idx", "int"),
  c("host", "text"),
  c("pid", "bigint"),
  c("generation", "int"),
  c("ppid", "bigint"),
  c("pgid", "bigint"),
  c("sid", "bigint"),
  c("exename", "text"),
  c("path", "text"),
  c("args", "text"),
  c("tags", "json"),
  c("exitcode", "int"),
  c("exitsignal", "int"),
  c("mpinumranks", "int"),
  c("mpirank", "int"),
  c("start_us", "bigint"),
  c("end_us", "bigint"),
  c("duration_us", "bigint"),
  c("numtids", "int"),
  c("cpu_time", "bigint"),
  ...STANDARD_METRICS.map((m) => c(m, "bigint")),
  c("extra_metrics", "json"),
  c("threads", "json"),
  c("parent", "int"),
  c("depth", "int"),
  c("inclusive_cpu_time", "bigint"),
];

/** `jobs`: one row per job, in the order the writers send them. */
export const JOB_COLUMNS: readonly Column[] = [
  c("jobid", "text"),
  c("jobname", "text"),
  c("username", "text"),
  c("hosts", "json"),
  c("start_us", "bigint"),
  c("end_us", "bigint"),
  c("duration_us", "bigint"),
  c("submit_us", "bigint"),
  c("exitcode", "int"),
  c("exp_name", "text"),
  c("exp_component", "text"),
  c("exp_oname", "text"),
  c("tags", "json"),
  c("env", "json"),
  c("env_changes", "json"),
  c("metadata", "json"),
  c("num_procs", "int"),
  c("num_threads", "int"),
  c("cpu_time", "bigint"),
  c("proc_sums", "json"),
  c("proc_tags", "json"),
  c("proc_start_us", "bigint"),
  c("proc_end_us", "bigint"),
  c("thread_columns", "json"),
  c("annotations", "json"),
  c("source", "text"),
  c("loaded_us", "bigint"),
];

/** Index of a process column by name (throws on a typo, at load time). */
export function processColumn(name: string): number {
  const i = PROCESS_COLUMNS.findIndex((col) => col.name === name);
  if (i < 0) throw new Error(`no process column ${name}`);
  return i;
}

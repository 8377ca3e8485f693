/**
 * Per-thread values of a stored process. `processes.threads` holds them as
 * JSON arrays in the order of the job's `thread_columns`; it is NULL for a
 * single-threaded process, whose one thread is the process row itself.
 */
import type { Row } from "./store.ts";

/**
 * The threads of a process row as arrays ordered like `threadColumns`
 * (from `jobs.thread_columns`), synthesising the one thread of a
 * single-threaded process from its row (tid = pid). Missing values are null.
 *
 * @example
 * const cols = JSON.parse(job.thread_columns as string);
 * for (const t of threadsOf(cols, proc)) console.log(t[0]); // tid
 */
export function threadsOf(
  threadColumns: string[],
  process: Row,
): (number | null)[][] {
  const stored = process.threads;
  if (typeof stored === "string" && stored !== "") {
    const rows = JSON.parse(stored) as (number | null)[][];
    return rows.map((r) => threadColumns.map((_, i) => r[i] ?? null));
  }
  let extra: Record<string, number> = {};
  if (typeof process.extra_metrics === "string") {
    extra = JSON.parse(process.extra_metrics);
  }
  return [threadColumns.map((name) => {
    const v = name === "tid"
      ? process.pid
      : name === "start"
      ? process.start_us
      : name === "end"
      ? process.end_us
      : name in process
      ? process[name]
      : extra[name];
    return typeof v === "number" ? v : null;
  })];
}

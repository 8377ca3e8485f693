/**
 * Deleting stored jobs: a job's row goes with what is stored about it (the
 * analysis at submit), in one place for every command that deletes jobs.
 * Process rows are the caller's: retire drops them by partition or in
 * slices, delete per job.
 */
import type { Queryable } from "./store.ts";

/**
 * Deletes the jobs rows of `ids` and their analyses; returns how many jobs
 * rows went.
 */
export async function deleteJobRows(
  q: Queryable,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const marks = ids.map(() => "?").join(", ");
  await q.execute(`DELETE FROM analyses WHERE jobid IN (${marks})`, ids);
  return await q.execute(`DELETE FROM jobs WHERE jobid IN (${marks})`, ids);
}

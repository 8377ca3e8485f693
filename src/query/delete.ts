/**
 * `epmt delete`: jobs and their processes go in one transaction, all of
 * them or none (an unknown id refuses the lot).
 */
import { UserError } from "../errors.ts";
import { deleteJobRows, type Queryable, type Store } from "../db/mod.ts";

/** A job that is (or would be) deleted. */
export interface Deleted {
  jobid: string;
  processes: number;
}

async function plan(
  q: Queryable,
  store: Store,
  jobids: string[],
): Promise<Deleted[]> {
  const out: Deleted[] = [];
  const missing: string[] = [];
  for (const id of jobids) {
    const [j] = await q.query<{ n: number | null }>(
      "SELECT num_procs AS n FROM jobs WHERE jobid = ?",
      [id],
    );
    if (!j) missing.push(id);
    else out.push({ jobid: id, processes: Number(j.n ?? 0) });
  }
  if (missing.length) {
    throw new UserError(
      `${missing.length === 1 ? "job" : "jobs"} ${missing.join(", ")} ${
        missing.length === 1 ? "is" : "are"
      } not in the database (${store.description}); nothing deleted`,
    );
  }
  return out;
}

/**
 * Deletes `jobids` (or, with `dryRun`, only checks them) and returns what
 * went. Throws UserError naming unknown ids; nothing is deleted then.
 */
export async function deleteJobs(
  store: Store,
  jobids: readonly string[],
  dryRun: boolean,
): Promise<Deleted[]> {
  const ids = [...new Set(jobids)];
  if (dryRun) return await plan(store, store, ids);
  return await store.transaction(async (tx) => {
    const jobs = await plan(tx, store, ids);
    for (const j of jobs) {
      await tx.execute("DELETE FROM processes WHERE jobid = ?", [j.jobid]);
      await deleteJobRows(tx, [j.jobid]);
    }
    return jobs;
  });
}

/**
 * Which jobs a model is trained on: job ids named, and/or the jobs a set
 * of selectors matches (experiment and component, tags, user, dates, the
 * newest N).
 */
import { UserError } from "../errors.ts";
import type { Store } from "../db/mod.ts";
import { allOf, jobConditions, type Tag } from "../query/mod.ts";
import { requireJobs } from "../query/mod.ts";

/** The selectors of `refmodel create`. */
export interface Training {
  jobids: string[];
  /** exp_name. */
  exp?: string;
  /** exp_component, with exp. */
  component?: string;
  tags?: Tag[];
  user?: string;
  /** µs since the epoch. */
  after?: number;
  before?: number;
  /** Only the newest N of the matching jobs. */
  last?: number;
}

/** True when any selector besides job ids is given. */
export function hasSelectors(t: Training): boolean {
  return t.exp !== undefined || (t.tags?.length ?? 0) > 0 ||
    t.user !== undefined || t.after !== undefined || t.before !== undefined ||
    t.last !== undefined;
}

/**
 * The training job ids, oldest first: the named ones (each must exist),
 * narrowed by the selectors when both are given; otherwise what the
 * selectors match. Throws a UserError when nothing is selected.
 */
export async function trainingJobs(
  store: Store,
  t: Training,
): Promise<string[]> {
  if (t.jobids.length) await requireJobs(store, t.jobids, "jobid");
  if (!hasSelectors(t)) return [...new Set(t.jobids)];
  const base = jobConditions(store.provider, {
    exp: t.exp,
    tags: t.tags,
    user: t.user,
    after: t.after,
    before: t.before,
    jobids: t.jobids.length ? [...new Set(t.jobids)] : undefined,
  });
  const where = t.component === undefined ? base : allOf([base, {
    sql: "jobs.exp_component = ?",
    params: [t.component],
  }]);
  const limit = t.last === undefined ? "" : ` LIMIT ${t.last}`;
  const rows = await store.query(
    `SELECT jobid, start_us FROM jobs WHERE ${where.sql}
      ORDER BY start_us DESC, jobid DESC${limit}`,
    where.params,
  );
  if (rows.length === 0) {
    throw new UserError("no jobs match the training selectors");
  }
  return rows.map((r) => String(r.jobid)).reverse();
}

/**
 * The SQL of the queries that must stay fast on large databases, in one
 * place so the benchmark can EXPLAIN exactly what the commands run.
 */
import { PROCESS_COLUMNS } from "../db/mod.ts";
import type { SqlValue } from "../db/mod.ts";
import type { Provider } from "../settings/mod.ts";
import { jobConditions, type JobFilter } from "./filters.ts";

/** A statement and its parameters. */
export interface Statement {
  sql: string;
  params: SqlValue[];
}

const JOB_LIST_COLUMNS =
  "jobid, jobname, username, hosts, exp_name, exp_component, exp_oname, " +
  "start_us, end_us, duration_us, exitcode, num_procs, num_threads, cpu_time, tags";

/**
 * `epmt list`: the jobs matching `filter`, newest first (ties by id),
 * `limit` of them (0: all) from `offset` on. Walks the jobs_start index
 * (or jobs_user for --user) backwards.
 */
export function listJobsSql(
  provider: Provider,
  filter: JobFilter,
  limit: number,
  offset: number,
): Statement {
  const where = jobConditions(provider, filter);
  const page = limit > 0
    ? ` LIMIT ${limit} OFFSET ${offset}`
    : offset
    ? provider === "sqlite" ? ` LIMIT -1 OFFSET ${offset}` : ` OFFSET ${offset}`
    : "";
  return {
    sql: `SELECT ${JOB_LIST_COLUMNS} FROM jobs WHERE ${where.sql}
      ORDER BY start_us DESC, jobid DESC${page}`,
    params: where.params,
  };
}

/** How many jobs match `filter`. */
export function countJobsSql(provider: Provider, filter: JobFilter): Statement {
  const where = jobConditions(provider, filter);
  return {
    sql: `SELECT count(*) AS n FROM jobs WHERE ${where.sql}`,
    params: where.params,
  };
}

/**
 * `epmt show --tree`: one job's processes in idx (depth-first) order, the
 * columns the tree needs (TreeRow): one range of the processes primary key.
 * Parameters: jobid.
 */
export const TREE_SQL =
  `SELECT idx, parent, pid, exename, args, cpu_time, inclusive_cpu_time,
       exitcode, exitsignal, depth, generation, host
  FROM processes WHERE jobid = ? ORDER BY idx`;

/** TREE_SQL down to a depth. Parameters: jobid, depth. */
export const TREE_TO_DEPTH_SQL =
  `SELECT idx, parent, pid, exename, args, cpu_time, inclusive_cpu_time,
       exitcode, exitsignal, depth, generation, host
  FROM processes WHERE jobid = ? AND depth <= ? ORDER BY idx`;

/** Processes read per page by export. */
export const PAGE = 5000;

/**
 * `epmt export`: a page of one job's processes, every column, from an idx
 * on (keyset paging along the primary key). Parameters: jobid, first idx.
 */
export const PROCESS_PAGE_SQL = `SELECT ${
  PROCESS_COLUMNS.map((c) => c.name).join(", ")
} FROM processes
  WHERE jobid = ? AND idx >= ? ORDER BY idx LIMIT ${PAGE}`;

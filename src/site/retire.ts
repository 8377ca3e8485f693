/**
 * Retention: jobs started before a cutoff go with all their rows, and the
 * process rows of jobs started before a second cutoff go while the job row
 * and its sums stay (jobs.procs_retired_us says when). Work is done in
 * bounded transactions of at most `batchRows` process rows, so a retire of
 * millions of rows never holds the write lock (SQLite) or row locks
 * (PostgreSQL) for long: submits and queries go on in between. On a
 * partitioned PostgreSQL processes table, a month whose every job goes is
 * dropped as a whole partition instead of row by row.
 *
 * A job without a start time (start_us NULL) counts as started at the
 * epoch, as its processes' partition does.
 */
import type { Queryable, Store } from "../db/mod.ts";
import {
  deleteJobRows,
  dropPartition,
  listPartitions,
  type Partition,
} from "../db/mod.ts";

/** Which rows go: cutoffs in µs since the epoch (undefined: keep). */
export interface RetirePolicy {
  /** Jobs started before this go entirely. */
  jobsBeforeUs?: number;
  /** Jobs started before this keep their job row but lose their processes. */
  procsBeforeUs?: number;
}

/** How to retire. */
export interface RetireOptions {
  /** Count what would go; change nothing. */
  dryRun?: boolean;
  /**
   * Process rows per transaction, at most (a job with more is deleted in
   * several, its job row last).
   * @default 20000
   */
  batchRows?: number;
  /**
   * Jobs per transaction, at most.
   * @default 500
   */
  batchJobs?: number;
  /** Told after each transaction, for progress lines. */
  onBatch?: (what: "jobs" | "procs", jobs: number, rows: number) => void;
  /** "Now" in µs, for procs_retired_us. @default Date.now() * 1000 */
  nowUs?: number;
  /**
   * Drop whole month partitions where a month goes entirely (PostgreSQL);
   * false: delete row by row everywhere.
   * @default true
   */
  partitions?: boolean;
}

/** What went (or would go, in a dry run). */
export interface RetireReport {
  dryRun: boolean;
  jobsBeforeUs: number | null;
  procsBeforeUs: number | null;
  /** Jobs deleted with all their rows. */
  jobs: number;
  /** Their process rows. */
  jobProcesses: number;
  /** Jobs whose process rows were dropped (job rows kept). */
  procJobs: number;
  /** Those process rows. */
  procRows: number;
  /** Whole processes partitions dropped (PostgreSQL). */
  partitions: string[];
  /** Transactions run, and the longest one in ms (0 in a dry run). */
  transactions: number;
  longestTransactionMs: number;
  /** Wall time of the whole retire, ms. */
  elapsedMs: number;
}

/** Jobs started before `?`, NULL as the epoch (can use index jobs_start). */
const STARTED_BEFORE = "(start_us < ? OR start_us IS NULL)";

/** Jobs whose start lies in a partition's month, NULL as the epoch. */
function inMonth(p: Partition): { sql: string; params: number[] } {
  const range = "start_us >= ? AND start_us < ?";
  return {
    sql: p.fromUs <= 0 && p.toUs > 0
      ? `((${range}) OR start_us IS NULL)`
      : `(${range})`,
    params: [p.fromUs, p.toUs],
  };
}

/**
 * Retires what `policy` says from `store`. Each transaction is complete on
 * its own, so an interrupted retire leaves a consistent database and the
 * next one carries on.
 *
 * @example
 * const day = 86_400_000_000;
 * const r = await retire(store, { jobsBeforeUs: Date.now() * 1000 - 90 * day });
 * console.log(`${r.jobs} jobs deleted`);
 */
export async function retire(
  store: Store,
  policy: RetirePolicy,
  opts: RetireOptions = {},
): Promise<RetireReport> {
  const t0 = performance.now();
  const report: RetireReport = {
    dryRun: opts.dryRun ?? false,
    jobsBeforeUs: policy.jobsBeforeUs ?? null,
    procsBeforeUs: policy.procsBeforeUs ?? null,
    jobs: 0,
    jobProcesses: 0,
    procJobs: 0,
    procRows: 0,
    partitions: [],
    transactions: 0,
    longestTransactionMs: 0,
    elapsedMs: 0,
  };
  const run = new Runner(store, report, {
    batchRows: opts.batchRows ?? 20000,
    batchJobs: opts.batchJobs ?? 500,
    nowUs: opts.nowUs ?? Date.now() * 1000,
    onBatch: opts.onBatch,
    partitions: opts.partitions ?? true,
  });
  // Process rows of jobs that are deleted anyway need no separate pass.
  const procsBefore = policy.procsBeforeUs !== undefined &&
      (policy.jobsBeforeUs === undefined ||
        policy.procsBeforeUs > policy.jobsBeforeUs)
    ? policy.procsBeforeUs
    : undefined;
  if (report.dryRun) {
    await run.count(policy.jobsBeforeUs, procsBefore);
  } else {
    if (policy.jobsBeforeUs !== undefined) {
      await run.deleteJobs(policy.jobsBeforeUs);
    }
    if (procsBefore !== undefined) await run.dropProcesses(procsBefore);
  }
  report.elapsedMs = performance.now() - t0;
  return report;
}

interface Limits {
  batchRows: number;
  batchJobs: number;
  nowUs: number;
  onBatch?: RetireOptions["onBatch"];
  partitions: boolean;
}

interface Victim {
  jobid: string;
  n: number;
}

class Runner {
  #store: Store;
  #report: RetireReport;
  #limits: Limits;

  constructor(store: Store, report: RetireReport, limits: Limits) {
    this.#store = store;
    this.#report = report;
    this.#limits = limits;
  }

  async #tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await this.#store.transaction(fn);
    } finally {
      const ms = performance.now() - t;
      this.#report.transactions++;
      this.#report.longestTransactionMs = Math.max(
        this.#report.longestTransactionMs,
        ms,
      );
    }
  }

  async count(jobsBefore?: number, procsBefore?: number): Promise<void> {
    const r = this.#report;
    if (jobsBefore !== undefined) {
      const [c] = await this.#store.query<{ n: number; p: number | null }>(
        `SELECT count(*) AS n, sum(CASE WHEN procs_retired_us IS NULL
                THEN num_procs ELSE 0 END) AS p
           FROM jobs WHERE ${STARTED_BEFORE}`,
        [jobsBefore],
      );
      r.jobs = Number(c.n);
      r.jobProcesses = Number(c.p ?? 0);
      r.partitions = (await this.#wholePartitions(jobsBefore)).map((p) =>
        p.name
      );
    }
    if (procsBefore !== undefined) {
      const [c] = await this.#store.query<{ n: number; p: number | null }>(
        `SELECT count(*) AS n, sum(num_procs) AS p FROM jobs
          WHERE ${STARTED_BEFORE} AND procs_retired_us IS NULL
            ${jobsBefore === undefined ? "" : "AND start_us >= ?"}`,
        jobsBefore === undefined ? [procsBefore] : [procsBefore, jobsBefore],
      );
      r.procJobs = Number(c.n);
      r.procRows = Number(c.p ?? 0);
      const whole = await this.#wholePartitions(procsBefore);
      for (const p of whole) {
        if (!r.partitions.includes(p.name)) r.partitions.push(p.name);
      }
    }
  }

  /** Partitions lying wholly before `beforeUs` (none on SQLite). */
  async #wholePartitions(beforeUs: number): Promise<Partition[]> {
    if (!this.#limits.partitions) return [];
    return (await listPartitions(this.#store)).filter((p) =>
      p.toUs <= beforeUs
    );
  }

  /** The next oldest jobs before the cutoff, up to the batch limits. */
  async #nextBatch(
    q: Queryable,
    where: string,
    params: (string | number)[],
  ): Promise<Victim[]> {
    const rows = await q.query<{ jobid: string; n: number | null }>(
      `SELECT jobid, num_procs AS n FROM jobs WHERE ${where}
        ORDER BY start_us LIMIT ${this.#limits.batchJobs}`,
      params,
    );
    const out: Victim[] = [];
    let total = 0;
    for (const row of rows) {
      const n = Number(row.n ?? 0);
      if (out.length > 0 && total + n > this.#limits.batchRows) break;
      out.push({ jobid: String(row.jobid), n });
      total += n;
    }
    return out;
  }

  async deleteJobs(before: number): Promise<void> {
    const r = this.#report;
    // Whole months first: a partition drop is one short lock, whatever its
    // size. Jobs rows go before their partition, in batches.
    for (const part of await this.#wholePartitions(before)) {
      await this.#deleteJobRowsIn(part);
      r.partitions.push(part.name);
    }
    const where = STARTED_BEFORE;
    for (;;) {
      const batch = await this.#nextBatch(this.#store, where, [before]);
      if (batch.length === 0) return;
      const sliced = batch.length === 1 && batch[0].n > this.#limits.batchRows
        ? await this.#dropRowsInSlices(batch[0].jobid)
        : 0;
      const [jobs, rows] = await this.#tx(async (tx) => {
        const ids = batch.map((v) => v.jobid);
        const rows = await deleteProcesses(tx, ids);
        const jobs = await deleteJobRows(tx, ids);
        return [jobs, rows];
      });
      r.jobs += jobs;
      r.jobProcesses += rows + sliced;
      this.#limits.onBatch?.("jobs", jobs, rows);
    }
  }

  /**
   * Deletes the jobs rows of a partition's month in batches (their process
   * rows are not touched: the partition goes in one piece after), then the
   * partition itself with whatever job arrived in that month meanwhile.
   */
  async #deleteJobRowsIn(part: Partition): Promise<void> {
    const r = this.#report;
    const { sql: where, params } = inMonth(part);
    for (;;) {
      const ids = await this.#store.query<{ jobid: string; n: number }>(
        `SELECT jobid, CASE WHEN procs_retired_us IS NULL THEN num_procs
                ELSE 0 END AS n
           FROM jobs WHERE ${where} LIMIT ${this.#limits.batchJobs * 10}`,
        params,
      );
      if (ids.length === 0) break;
      const n = await this.#tx((tx) =>
        deleteJobRows(tx, ids.map((v) => v.jobid))
      );
      const rows = ids.reduce((s, v) => s + Number(v.n ?? 0), 0);
      r.jobs += n;
      r.jobProcesses += rows;
      this.#limits.onBatch?.("jobs", n, rows);
    }
    await this.#tx(async (tx) => {
      await dropPartition(tx, part);
      await tx.execute(
        `DELETE FROM analyses WHERE jobid IN (SELECT jobid FROM jobs WHERE ${where})`,
        params,
      );
      r.jobs += await tx.execute(`DELETE FROM jobs WHERE ${where}`, params);
    });
  }

  /**
   * One job's process rows in slices of batchRows, each its own
   * transaction. Until the last slice the job is still selected by the
   * next retire, so an interruption leaves nothing behind for good.
   */
  async #dropRowsInSlices(jobid: string): Promise<number> {
    const [top] = await this.#store.query<{ m: number | null }>(
      "SELECT max(idx) AS m FROM processes WHERE jobid = ?",
      [jobid],
    );
    const max = Number(top?.m ?? -1);
    let total = 0;
    // The last slice goes with the job's own transaction.
    for (
      let to = this.#limits.batchRows;
      to <= max;
      to += this.#limits.batchRows
    ) {
      const n = await this.#tx((tx) =>
        tx.execute(
          "DELETE FROM processes WHERE jobid = ? AND idx < ?",
          [jobid, to],
        )
      );
      total += n;
      this.#limits.onBatch?.("procs", 0, n);
    }
    return total;
  }

  async dropProcesses(before: number): Promise<void> {
    const r = this.#report;
    const now = this.#limits.nowUs;
    // Whole months: mark their jobs (in batches), then drop the partition.
    for (const part of await this.#wholePartitions(before)) {
      if (r.partitions.includes(part.name)) continue;
      const month = inMonth(part);
      const where = `${month.sql} AND procs_retired_us IS NULL`;
      const params = month.params;
      for (;;) {
        const ids = await this.#store.query<{ jobid: string; n: number }>(
          `SELECT jobid, num_procs AS n FROM jobs WHERE ${where}
            LIMIT ${this.#limits.batchJobs * 10}`,
          params,
        );
        if (ids.length === 0) break;
        const n = await this.#tx((tx) =>
          tx.execute(
            `UPDATE jobs SET procs_retired_us = ? WHERE jobid IN (${
              marks(ids)
            })`,
            [now, ...ids.map((v) => v.jobid)],
          )
        );
        const rows = ids.reduce((s, v) => s + Number(v.n ?? 0), 0);
        r.procJobs += n;
        r.procRows += rows;
        this.#limits.onBatch?.("procs", n, rows);
      }
      await this.#tx(async (tx) => {
        await dropPartition(tx, part);
        r.procJobs += await tx.execute(
          `UPDATE jobs SET procs_retired_us = ? WHERE ${where}`,
          [now, ...params],
        );
      });
      r.partitions.push(part.name);
    }
    const where = `${STARTED_BEFORE} AND procs_retired_us IS NULL`;
    for (;;) {
      const batch = await this.#nextBatch(this.#store, where, [before]);
      if (batch.length === 0) return;
      const sliced = batch.length === 1 && batch[0].n > this.#limits.batchRows
        ? await this.#dropRowsInSlices(batch[0].jobid)
        : 0;
      const [jobs, rows] = await this.#tx(async (tx) => {
        const ids = batch.map((v) => v.jobid);
        const rows = await deleteProcesses(tx, ids);
        const jobs = await tx.execute(
          `UPDATE jobs SET procs_retired_us = ? WHERE jobid IN (${marks(ids)})`,
          [now, ...ids],
        );
        return [jobs, rows];
      });
      r.procJobs += jobs;
      r.procRows += rows + sliced;
      this.#limits.onBatch?.("procs", jobs, rows);
    }
  }
}

async function deleteProcesses(
  tx: Queryable,
  ids: readonly string[],
): Promise<number> {
  return await tx.execute(
    `DELETE FROM processes WHERE jobid IN (${marks(ids)})`,
    ids,
  );
}

function marks(ids: readonly unknown[]): string {
  return ids.map(() => "?").join(", ");
}

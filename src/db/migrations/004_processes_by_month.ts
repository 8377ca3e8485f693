/**
 * PostgreSQL: processes partitioned by the month its job started
 * (declarative range partitioning on job_start_us, the job's start_us or 0
 * when it has none), so retire drops a month whole instead of deleting
 * millions of rows. Partitions are made at submit, when a month's first job
 * arrives (partitions.ts). Existing rows move into their month here, in the
 * migration's one transaction (a large database takes a while, once);
 * process rows without a job row, which nothing could reach, are left
 * behind. SQLite is unchanged.
 */
import type { Migration } from "./mod.ts";

/** A partition (named as partitions.ts names them) for each month a stored job started in. */
const MONTHS_OF_JOBS = `
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT DISTINCT date_trunc('month',
             to_timestamp(coalesce(start_us, 0) / 1e6) AT TIME ZONE 'UTC') AS m
      FROM jobs
  LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF processes FOR VALUES FROM (%s) TO (%s)',
      'processes_y' || to_char(r.m, 'YYYY') || 'm' || to_char(r.m, 'MM'),
      (extract(epoch FROM r.m AT TIME ZONE 'UTC') * 1000000)::bigint,
      (extract(epoch FROM (r.m + interval '1 month') AT TIME ZONE 'UTC')
        * 1000000)::bigint);
  END LOOP;
END $$`;

export const processesByMonth: Migration = {
  name: "processes partitioned by job start month (PostgreSQL)",
  statements: (provider) =>
    provider === "sqlite" ? [] : [
      "ALTER TABLE processes RENAME TO processes_unpartitioned",
      "ALTER INDEX processes_pkey RENAME TO processes_unpartitioned_pkey",
      `CREATE TABLE processes (
         LIKE processes_unpartitioned INCLUDING DEFAULTS,
         job_start_us BIGINT NOT NULL,
         PRIMARY KEY (jobid, idx, job_start_us)
       ) PARTITION BY RANGE (job_start_us)`,
      MONTHS_OF_JOBS,
      `INSERT INTO processes
         SELECT p.*, coalesce(j.start_us, 0)
           FROM processes_unpartitioned p JOIN jobs j ON j.jobid = p.jobid`,
      "DROP TABLE processes_unpartitioned",
    ],
};

/**
 * `epmt retire` (retire_procs_ndays) drops a job's process rows but keeps
 * its jobs row and sums; this column says when, so `show` can tell a job
 * whose processes were retired from one that had none. NULL: not retired.
 */
import type { Migration } from "./mod.ts";

export const procsRetired: Migration = {
  name: "jobs.procs_retired_us: when the job's process rows were retired",
  statements: (provider) => [
    `ALTER TABLE jobs ADD COLUMN procs_retired_us ${
      provider === "sqlite" ? "INTEGER" : "BIGINT"
    }`,
  ],
};

/** What `epmt retire` prints: a few lines for people, or JSON. */
import { humanCount, isoTime } from "../query/mod.ts";
import type { RetireReport } from "./retire.ts";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${humanCount(n)} ${n === 1 ? one : many}`;
}

function day(us: number | null): string {
  return (isoTime(us) ?? "-").replace(/\.000000Z$/, "Z");
}

/**
 * The report in words, e.g.
 * `deleted 1,200 jobs started before 2026-01-01T00:00:00Z (3,400,000 processes)`.
 */
export function reportText(r: RetireReport): string {
  const lines: string[] = [];
  const verb = r.dryRun ? "would delete" : "deleted";
  if (r.jobsBeforeUs !== null) {
    lines.push(
      `${verb} ${plural(r.jobs, "job")} started before ${
        day(r.jobsBeforeUs)
      } (${plural(r.jobProcesses, "process", "processes")})`,
    );
  }
  if (r.procsBeforeUs !== null) {
    lines.push(
      `${r.dryRun ? "would drop" : "dropped"} the process rows of ${
        plural(r.procJobs, "job")
      } started before ${day(r.procsBeforeUs)} (${
        plural(r.procRows, "process", "processes")
      }; the jobs stay)`,
    );
  }
  if (r.partitions.length) {
    lines.push(
      `${r.dryRun ? "would drop" : "dropped"} ${
        plural(r.partitions.length, "whole partition")
      }: ${r.partitions.join(", ")}`,
    );
  }
  if (!r.dryRun) {
    lines.push(
      `${plural(r.transactions, "transaction")} in ${
        (r.elapsedMs / 1000).toFixed(2)
      } s, the longest ${r.longestTransactionMs.toFixed(0)} ms`,
    );
  }
  return lines.join("\n");
}

/** The report as JSON, raw values with units in the names. */
export function reportJson(r: RetireReport): string {
  return JSON.stringify(
    {
      dry_run: r.dryRun,
      jobs_before_us: r.jobsBeforeUs,
      procs_before_us: r.procsBeforeUs,
      jobs: r.jobs,
      job_processes: r.jobProcesses,
      procs_jobs: r.procJobs,
      procs_rows: r.procRows,
      partitions: r.partitions,
      transactions: r.transactions,
      longest_transaction_ms: Math.round(r.longestTransactionMs),
      elapsed_ms: Math.round(r.elapsedMs),
    },
    null,
    2,
  );
}

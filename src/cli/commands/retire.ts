import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { print } from "../../io.ts";

/** The table of `epmt retire`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "retire",
  summary: "delete old jobs, or old jobs' processes (retention policy)",
  synopsis: [
    "[-n] [--days N | --before DATE] [--procs-days N] [--json]",
  ],
  description:
    `Applies the retention policy: deletes the jobs that started before the
cutoff with all their rows, and drops the process rows (keeping the job row,
its sums and annotations) of jobs that started before the process cutoff;
'epmt show' then says their processes were retired. Without options the
cutoffs come from the settings retire_jobs_ndays and retire_procs_ndays
(0: keep). Work goes in short transactions of at most 20,000 process rows,
so submits and queries go on meanwhile; an interrupted retire leaves a
consistent database and the next one carries on. On PostgreSQL a month
whose every job goes is dropped as a whole partition. Reference models keep
their own statistics and are not touched.`,
  options: [
    {
      long: "days",
      type: "int",
      value: "N",
      help: "delete jobs that started more than N days ago (instead of " +
        "retire_jobs_ndays)",
    },
    {
      long: "before",
      type: "string",
      value: "DATE",
      help: "delete jobs that started before DATE (YYYY-MM-DD, UTC, or an " +
        "ISO time with a zone)",
    },
    {
      long: "procs-days",
      type: "int",
      value: "N",
      help: "drop the process rows of jobs that started more than N days " +
        "ago (instead of retire_procs_ndays)",
    },
    {
      long: "json",
      type: "flag",
      help: "what went, as raw values (µs, counts, ms)",
    },
  ],
  notes: `Example: keep jobs for a year and their processes for 90 days:
  settings "retire_jobs_ndays": 365, "retire_procs_ndays": 90, and a daily
  'epmt retire' (or 'epmt daemon --retire'). 'epmt retire -n' shows what
  would go.`,
});

/** `epmt retire`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts } = ctx.parse(command, args);
  if (opts.days !== undefined && opts.before !== undefined) {
    throw new UsageError("retire: give --days or --before, not both");
  }
  const site = await import("../../site/mod.ts");
  const nowUs = Date.now() * 1000;
  const policy = site.policyFromSettings(ctx.settings, nowUs);
  if (opts.days !== undefined) {
    policy.jobsBeforeUs = opts.days > 0
      ? site.cutoffFromDays(opts.days, nowUs)
      : undefined;
  }
  if (opts.before !== undefined) {
    policy.jobsBeforeUs = site.parseDate(opts.before, "retire --before");
  }
  if (opts["procs-days"] !== undefined) {
    policy.procsBeforeUs = opts["procs-days"] > 0
      ? site.cutoffFromDays(opts["procs-days"], nowUs)
      : undefined;
  }
  const dryRun = ctx.flags.dryRun;
  if (
    policy.jobsBeforeUs === undefined && policy.procsBeforeUs === undefined
  ) {
    if (opts.json) {
      print(JSON.stringify({ dry_run: dryRun, retired: false }));
    } else {
      print(
        "nothing to retire: retire_jobs_ndays and retire_procs_ndays are 0 " +
          "(keep everything); give --days N or --before DATE",
      );
    }
    return 0;
  }
  const { withStore } = await import("../../query/mod.ts");
  const report = await withStore(
    ctx.settings,
    (store) => site.retire(store, policy, { dryRun, nowUs }),
  );
  print(opts.json ? site.reportJson(report) : site.reportText(report));
  return 0;
}

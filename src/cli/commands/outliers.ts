import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt outliers`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "outliers",
  summary: "find jobs whose features stand out among comparable jobs",
  synopsis: [
    "[JOBID...] [--exp NAME | --tag K:V] [--features F1,F2,...]",
    " [--method zscore|modified-zscore|iqr|all]",
    " [--by KEY] [--json]",
    "--against MODEL [JOBID...] [--method M] [--features F1,F2]",
    " [--json]",
    "--procs JOBID [--by exe|op|mpirank] [--threads]",
    " [--method M] [--json]",
  ],
  description:
    `Finds jobs whose features stand out among comparable jobs, at least 4 of
them: jobs of the same experiment (exp_name and exp_component), jobs with
the same job tag, or the jobs named. Reports which method flagged which
feature of which job, and by how much.

With --against MODEL, judges each job named (one is enough; none: the
jobs of the model's experiment it was not trained on) against a reference
model (epmt refmodel): every job metric, every op's and every executable's
metrics. With --procs JOBID, finds stragglers inside one job: processes
that stand out among their siblings (same executable, op, or the MPI ranks
of one program) in cpu time, wall time, rssmax or I/O; --threads: threads
among the other threads of their process.`,
  positionals: [{
    name: "JOBID",
    variadic: true,
    optional: true,
    help: "one job: judge it among the jobs of its experiment; several: " +
      "judge them among themselves; with --exp or --tag: report only on " +
      "these jobs",
  }],
  options: [
    {
      long: "exp",
      type: "string",
      value: "NAME",
      help: "the jobs of experiment NAME, one group per exp_component " +
        "(no selection at all: every experiment)",
    },
    {
      long: "tag",
      type: "string",
      value: "K:V",
      help: "the jobs with job tag K:V",
    },
    {
      long: "features",
      short: "f",
      type: "string",
      value: "F1,F2",
      help: "comma list (default duration,cpu_time,num_procs); any summed " +
        "metric works too: rssmax_peak, read_bytes, write_bytes, rchar, " +
        "wchar, usertime, systemtime, ...",
    },
    {
      long: "method",
      short: "m",
      type: "string",
      value: "M",
      choices: ["zscore", "modified-zscore", "iqr", "mahalanobis", "all"],
      default: "all",
      help: "zscore (|z| > 3), modified-zscore (|0.6745 (x - median) / MAD| " +
        "> 3.5), iqr (beyond 1.5 IQR from the quartiles), or all; with " +
        "--against also mahalanobis (a robust distance over all job " +
        "metrics at once, beyond the chi-square 0.999 limit)",
    },
    {
      long: "by",
      type: "string",
      value: "KEY",
      help: "per process-tag value instead (--by op: the processes tagged " +
        "op:ocean in each job form ocean's features); with --procs: what " +
        "siblings share, exe (default), op or mpirank",
    },
    {
      long: "against",
      type: "string",
      value: "MODEL",
      help: "judge the jobs against reference model MODEL",
    },
    {
      long: "procs",
      type: "string",
      value: "JOBID",
      help: "stragglers among the processes of job JOBID",
    },
    {
      long: "threads",
      type: "flag",
      help: "with --procs: threads among the threads of their process",
    },
    {
      long: "json",
      type: "flag",
      help: "every score, raw values (units in the names)",
    },
  ],
  notes: `Against a model, spreads below 5% of the median count as 5% (repeated
runs vary by a few percent), so changes of less than about a quarter are
not called outliers. Stragglers also differ from their siblings' median by
at least 0.1 s, 1 MiB or 1 MiB of I/O.
With 10 jobs or fewer no z-score can pass 3 (|z| <= sqrt(n - 1)); the
modified z-score and IQR methods are the ones that work on small groups.`,
});

/** `epmt outliers`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (opts.against !== undefined || opts.procs !== undefined) {
    const { runBaseline } = await import("./outliers_baseline.ts");
    return await runBaseline(ctx, opts, positional);
  }
  if (opts.threads) {
    throw new UsageError("outliers: --threads goes with --procs JOBID");
  }
  if (opts.method === "mahalanobis") {
    throw new UsageError(
      "outliers: --method mahalanobis needs a model (--against MODEL)",
    );
  }
  if (opts.exp !== undefined && opts.tag !== undefined) {
    throw new UsageError("outliers: give --exp or --tag, not both");
  }
  const q = await import("../../query/mod.ts");
  const stats = q;
  const o = q;
  const { parseTag } = q;
  const methods = opts.method === "all"
    ? [...stats.METHODS]
    : [opts.method as typeof stats.METHODS[number]];
  const features = opts.features === undefined
    ? opts.by === undefined
      ? o.DEFAULT_FEATURES
      : ["duration", "cpu_time", "num_procs"]
    : opts.features.split(",").map((f) => f.trim()).filter((f) => f !== "");
  if (features.length === 0) {
    throw new UsageError("outliers: --features names no feature");
  }
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const { renderJson } = await import("../../query/mod.ts");
  return await withStore(ctx.settings, async (store) => {
    if (positional.length) await requireJobs(store, positional, "jobid");
    const sel = {
      jobids: positional,
      exp: opts.exp,
      tag: opts.tag === undefined ? undefined : parseTag(opts.tag),
    };
    const { groups, only } = await o.selectPopulations(store, sel);
    const pops = opts.by === undefined
      ? o.jobPopulations(groups)
      : await o.tagPopulations(store, groups, opts.by);
    if (pops.length === 0) {
      throw new UserError(`no processes with tag ${opts.by} in these jobs`);
    }
    o.checkFeatures(features, pops, opts.by);
    // With no selection, groups too small to judge are noise: leave them out.
    const all = pops.map((p) => o.judge(p, features, methods));
    const wholeDb = positional.length === 0 && sel.exp === undefined &&
      sel.tag === undefined;
    const results = wholeDb && all.some((r) => !r.skipped)
      ? all.filter((r) => !r.skipped)
      : all;
    if (results.every((r) => r.skipped) && !opts.json) {
      const r = results[0];
      throw new UserError(
        results.length === 1
          ? `${r.population.label}: ${r.skipped}`
          : `no group of comparable jobs has at least ${o.MIN_JOBS} jobs (${results.length} groups)`,
      );
    }
    const w = new Writer();
    w.line(
      opts.json
        ? renderJson(o.resultsRecord(results, only))
        : o.resultsText(results, only, methods),
    );
    w.flush();
    return 0;
  });
}

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
  ],
  description:
    `Finds jobs whose features stand out among comparable jobs, at least 4 of
them: jobs of the same experiment (exp_name and exp_component), jobs with
the same job tag, or the jobs named. Reports which method flagged which
feature of which job, and by how much.`,
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
      choices: ["zscore", "modified-zscore", "iqr", "all"],
      default: "all",
      help: "zscore (|z| > 3), modified-zscore (|0.6745 (x - median) / MAD| " +
        "> 3.5), iqr (beyond 1.5 IQR from the quartiles), or all",
    },
    {
      long: "by",
      type: "string",
      value: "KEY",
      help: "per process-tag value instead (--by op: the processes tagged " +
        "op:ocean in each job form ocean's features)",
    },
    {
      long: "json",
      type: "flag",
      help: "every score, raw values (units in the names)",
    },
  ],
  notes: `With 10 jobs or fewer no z-score can pass 3 (|z| <= sqrt(n - 1)); the
modified z-score and IQR methods are the ones that work on small groups.`,
});

/** `epmt outliers`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (opts.exp !== undefined && opts.tag !== undefined) {
    throw new UsageError("outliers: give --exp or --tag, not both");
  }
  const stats = await import("../../query/stats.ts");
  const o = await import("../../query/outliers.ts");
  const { parseTag } = await import("../../query/filters.ts");
  const methods = opts.method === "all" ? [...stats.METHODS] : [opts.method];
  const features = opts.features === undefined
    ? opts.by === undefined
      ? o.DEFAULT_FEATURES
      : ["duration", "cpu_time", "num_procs"]
    : opts.features.split(",").map((f) => f.trim()).filter((f) => f !== "");
  if (features.length === 0) {
    throw new UsageError("outliers: --features names no feature");
  }
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const { Writer } = await import("../../query/output.ts");
  const { renderJson } = await import("../../query/table.ts");
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

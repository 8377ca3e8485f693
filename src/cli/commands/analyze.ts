import type { Context } from "../context.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt analyze`. */
export const command = defineCommand({
  name: "analyze",
  summary: "(re)run the analysis stored with jobs",
  synopsis: ["[--json] JOBID...", "--all | --unanalyzed [--json]"],
  description:
    `Runs the analysis that submit makes when the setting analyze_on_submit
is on, and stores it with each job (replacing an earlier one): allocation
efficiency, the job's verdict and its ops' verdicts, and, when a reference
model exists for the job's experiment and component (epmt refmodel; the
newest matching one), the job's features that stand out against it.
epmt show prints the stored analysis; epmt list --flagged lists the jobs
with flags and epmt list --unanalyzed those without an analysis. Run it
after creating a model to judge jobs submitted before it.`,
  positionals: [{
    name: "JOBID",
    variadic: true,
    optional: true,
    help: "the jobs to analyse",
  }],
  options: [
    { long: "all", type: "flag", help: "every job in the database" },
    {
      long: "unanalyzed",
      type: "flag",
      help: "every job without an analysis, or whose analysis failed",
    },
    {
      long: "json",
      type: "flag",
      help: "one object per job: jobid, verdict, flags, model, error",
    },
  ],
  notes: `Exit status 1 when the analysis of any job failed (its error is stored
and shown by epmt show).`,
});

/** `epmt analyze`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  const { UsageError } = await import("../../errors.ts");
  const chosen = [positional.length > 0, opts.all, opts.unanalyzed]
    .filter((x) => x).length;
  if (chosen === 0) {
    throw new UsageError(
      "analyze: name a JOBID, or give --all or --unanalyzed",
    );
  }
  if (chosen > 1) {
    throw new UsageError(
      "analyze: give JOBIDs, --all or --unanalyzed, only one of them",
    );
  }
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const a = await import("../../analysis/mod.ts");
  const { Writer } = await import("../../query/output.ts");
  const { renderJson } = await import("../../query/table.ts");
  return await withStore(ctx.settings, async (store) => {
    let ids = positional;
    if (!ids.length) {
      const where = opts.unanalyzed
        ? " WHERE NOT EXISTS (SELECT 1 FROM analyses a WHERE " +
          "a.jobid = jobs.jobid AND a.error IS NULL)"
        : "";
      ids = (await store.query<{ jobid: string }>(
        `SELECT jobid FROM jobs${where} ORDER BY start_us, jobid`,
      )).map((r) => String(r.jobid));
    }
    const jobs = await requireJobs(store, ids);
    const out = new Writer();
    const records: unknown[] = [];
    let failed = 0;
    for (const job of jobs) {
      const o = await a.reanalyze(store, job);
      if (o.error) failed++;
      if (opts.json) {
        records.push(o);
        continue;
      }
      out.line(
        o.error
          ? `job ${o.jobid}: analysis failed: ${o.error}`
          : `job ${o.jobid}: ${o.verdict}, ${
            o.model === null
              ? "no reference model"
              : `${o.flags} ${
                o.flags === 1 ? "flag" : "flags"
              } against model ${o.model}`
          }`,
      );
    }
    if (opts.json) out.line(renderJson(records));
    else if (jobs.length === 0) out.line("no jobs to analyse");
    out.flush();
    return failed ? 1 : 0;
  });
}

import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt rca`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "rca",
  summary: "rank what makes a job differ from a reference (root cause)",
  synopsis: [
    "JOBID --against MODEL [--limit N] [--pca] [--json]",
    "JOBID --vs JOBID... [--limit N] [--pca] [--json]",
  ],
  description:
    `Ranks every metric of a job, every op's and every executable's, by how
far it is from a reference: a reference model (--against, epmt refmodel) or
other jobs (--vs, at least 3). Most deviant first by the robust score (the
modified z-score on the reference's median and MAD), with the ratio to the
median; and says which op explains most of the extra wall time. --pca ranks
instead the job metrics that separate the job from the reference jobs in
their principal components (Hotelling's T² and the residual, split over
the metrics).`,
  positionals: [{ name: "JOBID", help: "the job to explain" }],
  options: [
    {
      long: "against",
      type: "string",
      value: "MODEL",
      help: "the reference model to compare with",
    },
    {
      long: "vs",
      type: "list",
      value: "JOBID",
      help: "reference jobs instead of a model (repeat, or a comma list)",
    },
    {
      long: "limit",
      short: "l",
      type: "int",
      value: "N",
      default: 20,
      help: "show the N most deviant (0: all; --json gives all)",
    },
    {
      long: "pca",
      type: "flag",
      help: "rank the job metrics by their share of the PCA distance",
    },
    {
      long: "op-key",
      type: "string",
      value: "KEY",
      default: "op",
      help: "with --vs: the process tag whose values are the ops",
    },
    {
      long: "json",
      type: "flag",
      help: "the ranking as an ordered list (raw values, units in names)",
    },
  ],
});

/** `epmt rca JOBID --against MODEL | --vs JOBID...`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (positional.length !== 1) {
    throw new UsageError("rca: name one job to explain");
  }
  const jobid = positional[0];
  const vs = opts.vs.flatMap((v) => v.split(",")).map((v) => v.trim())
    .filter((v) => v !== "");
  if ((opts.against === undefined) === (vs.length === 0)) {
    throw new UsageError(
      "rca: give --against MODEL or --vs JOBID..., one of them",
    );
  }
  const b = await import("../../baseline/mod.ts");
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const { renderJson } = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const { UserError } = await import("../../errors.ts");
  const w = new Writer();
  await withStore(ctx.settings, async (store) => {
    await requireJobs(store, [jobid, ...vs], "jobid");
    let model;
    let against: string;
    if (opts.against !== undefined) {
      model = await b.loadModel(store, opts.against);
      against = `reference model ${model.name} (${model.jobids.length} jobs)`;
    } else {
      const ref = [...new Set(vs)].filter((j) => j !== jobid);
      if (ref.length < b.MIN_TRAINING) {
        throw new UserError(
          `rca --vs: ${ref.length} reference job${
            ref.length === 1 ? "" : "s"
          } besides ${jobid}; at least ${b.MIN_TRAINING} are needed`,
        );
      }
      const feats = await b.readFeatures(store, ref, opts["op-key"]);
      model = b.buildModel("(--vs)", feats, opts["op-key"], Date.now() * 1000);
      against = `${ref.length} jobs (${ref.slice(0, 5).join(", ")}${
        ref.length > 5 ? ", ..." : ""
      })`;
    }
    const [job] = await b.readFeatures(store, [jobid], model.op_key);
    if (opts.pca) {
      const ranking = await b.pcaRanking(model, job);
      w.line(
        opts.json
          ? renderJson(b.pcaRecord(jobid, ranking))
          : b.pcaText(jobid, ranking, opts.limit),
      );
      return;
    }
    const result = await b.withStragglers(
      store,
      b.rca(model, job),
      model.op_key,
    );
    w.line(
      opts.json
        ? renderJson(b.rcaRecord(result))
        : b.rcaText(result, against, model.op_key, opts.limit),
    );
  });
  w.flush();
  return 0;
}

/**
 * The baseline forms of `epmt outliers`: --against MODEL (jobs against a
 * reference model) and --procs JOBID (stragglers inside one job). Loaded
 * only when one of them is given.
 */
import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import type { Options } from "../options.ts";
import type { command } from "./outliers.ts";

type Opts = Options<typeof command.decl>;

function featureList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((f) => f.trim()).filter((f) => f !== "");
  if (list.length === 0) {
    throw new UsageError("outliers: --features names no feature");
  }
  return list;
}

/** `epmt outliers --against MODEL [JOBID...]` and `--procs JOBID`. */
export async function runBaseline(
  ctx: Context,
  opts: Opts,
  positional: string[],
): Promise<number> {
  if (opts.against !== undefined && opts.procs !== undefined) {
    throw new UsageError("outliers: give --against or --procs, not both");
  }
  if (opts.exp !== undefined || opts.tag !== undefined) {
    throw new UsageError(
      `outliers: --exp and --tag select comparable jobs; with --${
        opts.against !== undefined ? "against" : "procs"
      } name the jobs`,
    );
  }
  const b = await import("../../baseline/mod.ts");
  const stats = await import("../../query/mod.ts");
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const { renderJson } = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const features = featureList(opts.features);
  const w = new Writer();
  await withStore(ctx.settings, async (store) => {
    if (opts.procs !== undefined) {
      if (positional.length) {
        throw new UsageError(
          "outliers --procs: takes one job, given to --procs",
        );
      }
      if (opts.method === "mahalanobis") {
        throw new UsageError("outliers --procs: mahalanobis is for --against");
      }
      const methods = opts.method === "all"
        ? [...stats.METHODS]
        : [opts.method as typeof stats.METHODS[number]];
      const known = opts.threads ? b.THREAD_METRICS : b.PROC_METRICS;
      const bad = (features ?? []).filter((f) =>
        !(known as readonly string[]).includes(f)
      );
      if (bad.length) {
        throw new UserError(
          `unknown feature ${bad.join(", ")} (known: ${known.join(", ")})`,
        );
      }
      let flags;
      if (opts.threads) {
        if (opts.by !== undefined) {
          throw new UsageError(
            "outliers --threads: threads are compared within their process; no --by",
          );
        }
        flags = await b.threadStragglers(store, opts.procs, methods, {
          metrics: features,
        });
      } else {
        const by = opts.by ?? "exe";
        if (!(b.PROC_GROUPINGS as readonly string[]).includes(by)) {
          throw new UsageError(
            `outliers --procs: --by must be exe, op or mpirank, not ${
              JSON.stringify(by)
            }`,
          );
        }
        flags = await b.stragglers(store, opts.procs, by as "exe", methods, {
          metrics: features,
        });
      }
      w.line(
        opts.json
          ? renderJson(b.procFlagsRecord(opts.procs, flags))
          : b.procFlagsText(
            opts.procs,
            opts.threads ? "threads" : "processes",
            flags,
          ),
      );
      return;
    }
    if (opts.by !== undefined) {
      throw new UsageError(
        "outliers --against: judges every op and executable already; no --by",
      );
    }
    const model = await b.loadModel(store, opts.against!);
    let jobids = positional;
    if (jobids.length) await requireJobs(store, jobids, "jobid");
    else {
      if (!model.exp_name) {
        throw new UsageError(
          `outliers --against ${model.name}: the model has no experiment; name the jobs to judge`,
        );
      }
      const rows = await store.query(
        `SELECT jobid FROM jobs WHERE exp_name = ?${
          model.exp_component ? " AND exp_component = ?" : ""
        } ORDER BY start_us, jobid`,
        model.exp_component
          ? [model.exp_name, model.exp_component]
          : [model.exp_name],
      );
      const trained = new Set(model.jobids);
      jobids = rows.map((r) => String(r.jobid)).filter((j) => !trained.has(j));
      if (jobids.length === 0) {
        throw new UserError(
          `no jobs of ${model.exp_name} besides the model's training jobs to judge`,
        );
      }
    }
    if (features) {
      const known = new Set<string>(Object.keys(model.stats.job));
      for (const g of [model.stats.ops, model.stats.exes]) {
        for (const s of Object.values(g)) {
          Object.keys(s).forEach((k) => known.add(k));
        }
      }
      const bad = features.filter((f) => !known.has(f));
      if (bad.length) {
        throw new UserError(
          `unknown feature ${bad.join(", ")} (model ${model.name} knows: ${
            [...known].sort().join(", ")
          })`,
        );
      }
    }
    const methods = opts.method === "all"
      ? [...b.BASELINE_METHODS]
      : [opts.method as typeof b.BASELINE_METHODS[number]];
    const flags = await b.judgeAgainst(
      store,
      model,
      jobids,
      methods,
      features ? new Set(features) : undefined,
    );
    w.line(
      opts.json
        ? renderJson(b.flagsRecord(flags))
        : b.flagsText(model, jobids, flags),
    );
  });
  w.flush();
  return 0;
}

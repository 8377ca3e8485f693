import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt refmodel`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "refmodel",
  summary: "reference models of known-good jobs (create, list, show, delete)",
  synopsis: [
    "create NAME [JOBID...] [--exp NAME[/COMP]] [--tag K:V]...",
    " [--user U] [--after DATE] [--before DATE] [--last N]",
    " [--op-key KEY] [-n] [--json]",
    "list [--json]",
    "show NAME [--json]",
    "delete NAME [-n] [--json]",
  ],
  description:
    `A reference model keeps, for a set of known-good training jobs, the
statistics (n, median, MAD, quartiles, mean, standard deviation, min, max)
of every job metric (duration, cpu_time, every summed process metric), of
the same metrics per op (the values of a process tag, op by default) and per
executable, with the experiment, the shared job tags and the job ids. The
statistics are stored in the database, so a model outlives its training
jobs. Jobs are then judged against it: epmt outliers --against NAME, epmt
rca JOBID --against NAME.`,
  positionals: [
    {
      name: "ACTION",
      help: "create, list, show or delete",
    },
    { name: "NAME", optional: true, help: "the model's name" },
    {
      name: "JOBID",
      optional: true,
      variadic: true,
      help: "create: training jobs (with selectors: only these, narrowed)",
    },
  ],
  options: [
    {
      long: "exp",
      type: "string",
      value: "NAME[/COMP]",
      help: "create: jobs of experiment NAME (and exp_component COMP)",
      group: "training jobs (create)",
    },
    {
      long: "tag",
      short: "t",
      type: "list",
      value: "K:V",
      help: "jobs with this tag (job or process tags); repeat for several",
      group: "training jobs (create)",
    },
    {
      long: "user",
      short: "u",
      type: "string",
      value: "NAME",
      help: "jobs of this user",
      group: "training jobs (create)",
    },
    {
      long: "after",
      type: "string",
      value: "DATE",
      help: "started at or after DATE (2026-11-25, 3d, 12h, today)",
      group: "training jobs (create)",
    },
    {
      long: "before",
      type: "string",
      value: "DATE",
      help: "started before DATE",
      group: "training jobs (create)",
    },
    {
      long: "last",
      type: "int",
      value: "N",
      help: "only the newest N jobs that match",
      group: "training jobs (create)",
    },
    {
      long: "op-key",
      type: "string",
      value: "KEY",
      default: "op",
      help: "the process tag whose values are the ops",
      group: "training jobs (create)",
    },
    {
      long: "json",
      type: "flag",
      help: "raw values for scripts (units in the metric names)",
    },
  ],
  notes:
    `A model needs at least 3 training jobs; a name already taken, an unknown
job id or too few jobs is refused with one line and nothing is stored.
-n (--dry-run) with create or delete shows what would be done.`,
});

const ACTIONS = ["create", "list", "show", "delete"];

/** `epmt refmodel ACTION ...`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  const [action, name, ...jobids] = positional;
  if (!ACTIONS.includes(action ?? "")) {
    throw new UsageError(
      `refmodel: ${
        action === undefined
          ? "an action is needed"
          : `unknown action ${action}`
      }: create, list, show or delete`,
    );
  }
  if (action !== "create" && jobids.length) {
    throw new UsageError(`refmodel ${action}: takes no job ids`);
  }
  if (action === "list" && name !== undefined) {
    throw new UsageError("refmodel list: takes no name");
  }
  if (action !== "list" && name === undefined) {
    throw new UsageError(`refmodel ${action}: a model NAME is needed`);
  }
  const selectors = opts.exp !== undefined || opts.tag.length > 0 ||
    opts.user !== undefined || opts.after !== undefined ||
    opts.before !== undefined || opts.last !== undefined;
  if (action !== "create" && selectors) {
    throw new UsageError(
      `refmodel ${action}: training selectors are for create`,
    );
  }
  const b = await import("../../baseline/mod.ts");
  const t = await import("../../baseline/mod.ts");
  const { withStore } = await import("../../query/mod.ts");
  const { renderJson } = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const w = new Writer();
  const dryRun = ctx.flags.dryRun;
  await withStore(ctx.settings, async (store) => {
    switch (action) {
      case "create": {
        if (!selectors && jobids.length === 0) {
          throw new UsageError(
            "refmodel create: name the training jobs, or select them (--exp, --tag, --user, --after, --before, --last)",
          );
        }
        const { parseDate, parseTag } = await import("../../query/mod.ts");
        const now = Date.now() * 1000;
        const [exp, component] = opts.exp === undefined
          ? [undefined, undefined]
          : opts.exp.includes("/")
          ? [
            opts.exp.slice(0, opts.exp.indexOf("/")),
            opts.exp.slice(opts.exp.indexOf("/") + 1),
          ]
          : [opts.exp, undefined];
        const model = await b.createModel(store, name!, {
          jobids,
          exp,
          component,
          tags: opts.tag.map(parseTag),
          user: opts.user,
          after: opts.after === undefined
            ? undefined
            : parseDate(opts.after, now, "--after"),
          before: opts.before === undefined
            ? undefined
            : parseDate(opts.before, now, "--before"),
          last: opts.last,
        }, { opKey: opts["op-key"], nowUs: now, dryRun });
        if (opts.json) {
          w.line(renderJson({ ...t.modelRecord(model), dry_run: dryRun }));
        } else {
          w.line(
            `${
              dryRun ? "would create" : "created"
            } reference model ${model.name} from ${model.jobids.length} jobs: ${
              Object.keys(model.stats.job).length
            } job metrics, ${Object.keys(model.stats.ops).length} ops, ${
              Object.keys(model.stats.exes).length
            } executables`,
          );
        }
        break;
      }
      case "list": {
        const models = await b.listModels(store);
        w.line(
          opts.json ? renderJson(models.map(t.headRecord)) : t.listText(models),
        );
        break;
      }
      case "show": {
        const model = await b.loadModel(store, name!);
        w.line(
          opts.json ? renderJson(t.modelRecord(model)) : t.modelText(model),
        );
        break;
      }
      case "delete": {
        const model = await b.loadModel(store, name!);
        if (!dryRun) await b.deleteModel(store, name!);
        w.line(
          opts.json
            ? renderJson({ deleted: model.name, dry_run: dryRun })
            : `${
              dryRun ? "would delete" : "deleted"
            } reference model ${model.name}`,
        );
        break;
      }
    }
  });
  w.flush();
  return 0;
}

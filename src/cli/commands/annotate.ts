import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { print } from "../../io.ts";

/** The table of `epmt annotate`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "annotate",
  summary: "attach key=value annotations to a job",
  synopsis: ["[-n] JOBID [KEY=VALUE...] [--remove KEY...] [--json]"],
  description:
    `Stores KEY=VALUE notes with a job (a reason for a rerun, a verdict, a
ticket number); show and export print them. A key given again replaces its
value. Without KEY=VALUE, prints the job's annotations. With -n, prints
what would be stored and changes nothing.`,
  positionals: [
    { name: "JOBID", help: "the job" },
    {
      name: "KEY=VALUE",
      variadic: true,
      optional: true,
      help: "an annotation to store",
    },
  ],
  options: [
    {
      long: "remove",
      short: "r",
      type: "list",
      value: "KEY",
      help: "remove this annotation",
    },
    { long: "json", type: "flag", help: "print the annotations as JSON" },
  ],
  notes: `example:
  epmt annotate 4711 reason="rerun after node failure" ticket=123`,
});

/** `epmt annotate`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  const dryRun = ctx.flags.dryRun;
  const [jobid, ...pairs] = positional;
  if (jobid === undefined) throw new UsageError("annotate: name a JOBID");
  const { parseAnnotations, annotate, patched, readAnnotations } = await import(
    "../../query/mod.ts"
  );
  const set = parseAnnotations(pairs);
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const { renderFields, renderJson } = await import("../../query/mod.ts");
  return await withStore(ctx.settings, async (store) => {
    await requireJobs(store, [jobid], "jobid");
    const changes = Object.keys(set).length + opts.remove.length > 0;
    const now = dryRun
      ? patched(await readAnnotations(store, jobid), set, opts.remove)
      : await annotate(store, jobid, set, opts.remove);
    if (dryRun && changes && !opts.json) {
      print(`would store for job ${jobid} (nothing changed):`);
    }
    if (opts.json) print(renderJson(now));
    else if (Object.keys(now).length === 0) {
      print(`job ${jobid} has no annotations`);
    } else {
      print(renderFields(
        Object.entries(now).map((
          [k, v],
        ) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      ));
    }
    return 0;
  });
}

import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { parseOptions } from "../../query/args.ts";
import { print } from "../../io.ts";

export const usage =
  `epmt annotate [-n] JOBID [KEY=VALUE...] [--remove KEY...] [--json]

Stores KEY=VALUE notes with a job (a reason for a rerun, a verdict, a
ticket number); show and export print them. A key given again replaces its
value. Without KEY=VALUE, prints the job's annotations.

  --remove KEY    remove this annotation (repeat for several)
  --json          print the annotations as JSON
  -n, --dry-run   print what would be stored, change nothing`;

const SPEC = { remove: "list", json: "flag", "dry-run": "flag" } as const;

/** `epmt annotate`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = parseOptions("annotate", args, SPEC, {
    "-r": "remove",
    "-n": "dry-run",
  });
  const dryRun = opts["dry-run"] || ctx.flags.dryRun;
  const [jobid, ...pairs] = positional;
  if (jobid === undefined) throw new UsageError("annotate: name a JOBID");
  const { parseAnnotations, annotate, patched, readAnnotations } = await import(
    "../../query/annotate.ts"
  );
  const set = parseAnnotations(pairs);
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const { renderFields, renderJson } = await import("../../query/table.ts");
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

import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { parseOptions } from "../../query/args.ts";
import { print } from "../../io.ts";

export const usage = `epmt delete [-n] JOBID...

Deletes jobs and all their processes from the database, in one
transaction: either every job named goes, or (when one is not in the
database, or anything fails) none does. No confirmation is asked.

  -n, --dry-run   show what would be deleted, delete nothing`;

const SPEC = { "dry-run": "flag" } as const;

/** `epmt delete`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = parseOptions("delete", args, SPEC, {
    "-n": "dry-run",
  });
  if (positional.length === 0) throw new UsageError("delete: name a JOBID");
  const dryRun = opts["dry-run"] || ctx.flags.dryRun;
  const { withStore } = await import("../../query/store.ts");
  const { deleteJobs } = await import("../../query/delete.ts");
  const { humanCount } = await import("../../query/format.ts");
  return await withStore(ctx.settings, async (store) => {
    const gone = await deleteJobs(store, positional, dryRun);
    for (const j of gone) {
      print(
        `${dryRun ? "would delete" : "deleted"} job ${j.jobid} (${
          humanCount(j.processes)
        } process${j.processes === 1 ? "" : "es"})`,
      );
    }
    if (gone.length > 1) {
      print(`${dryRun ? "would delete" : "deleted"} ${gone.length} jobs`);
    }
    return 0;
  });
}

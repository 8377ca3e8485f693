import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { print } from "../../io.ts";

/** The table of `epmt delete`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "delete",
  summary: "delete jobs from the database",
  synopsis: ["[-n] JOBID..."],
  description: `Deletes jobs and all their processes from the database, in one
transaction: either every job named goes, or (when one is not in the
database, or anything fails) none does. No confirmation is asked. With -n,
shows what would be deleted and deletes nothing.`,
  positionals: [{ name: "JOBID", variadic: true, help: "the jobs to delete" }],
  options: [],
});

/** `epmt delete`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { positional } = ctx.parse(command, args);
  if (positional.length === 0) throw new UsageError("delete: name a JOBID");
  const dryRun = ctx.flags.dryRun;
  const { withStore } = await import("../../query/mod.ts");
  const { deleteJobs } = await import("../../query/mod.ts");
  const { humanCount } = await import("../../query/mod.ts");
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

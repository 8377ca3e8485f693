import { currentJobContext, startJob } from "../../job/mod.ts";
import type { Context } from "../context.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt start`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "start",
  summary: "record the start of the current batch job",
  synopsis: ["[-n]"],
  description:
    `Records the start of the current job: creates <papiex_output>/<user>/<jobid>/
and writes its start record (job_metadata.tmp). The job id, name, user and
script name come from SLURM, PBS/Torque or LSF; outside a batch system the
session id is the job id (one WARNING line per made-up field). Starting a
started job again warns and keeps the first record; starting a stopped job is
an error. The directories are made private (0700, files 0600); a
<papiex_output>/<user> that is a symlink or someone else's is refused. With
-n nothing is written.`,
  options: [],
});

/** `epmt start`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  ctx.parse(command, args);
  const job = await currentJobContext(ctx.settings, ctx.env, true);
  await startJob(job, ctx.env, ctx.flags.dryRun);
  return 0;
}

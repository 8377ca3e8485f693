import { UsageError } from "../../errors.ts";
import { currentJobContext, startJob } from "../../job/lifecycle.ts";
import type { Context } from "../context.ts";

export const usage = `epmt start

Records the start of the current job: creates <papiex_output>/<user>/<jobid>/
and writes its start record (job_metadata.tmp). The job id, name, user and
script name come from SLURM, PBS/Torque or LSF; outside a batch system the
session id is the job id (one WARNING line per made-up field). Starting a
started job again warns and keeps the first record; starting a stopped job is
an error. The directories are made private (0700, files 0600); a
<papiex_output>/<user> that is a symlink or someone else's is refused. With
-n nothing is written.`;

/** `epmt start`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`start takes no arguments`);
  const job = await currentJobContext(ctx.settings, ctx.env, true);
  await startJob(job, ctx.env, ctx.flags.dryRun);
  return 0;
}

import { UsageError } from "../../errors.ts";
import { currentJobContext, stopJob } from "../../job/lifecycle.ts";
import type { Context } from "../context.ts";

export const usage = `epmt stop

Records the end of the current job: stop time, exit status (the first
non-zero status among its epmt run commands, else SLURM's exit code when
run from an Epilog, else 0), the environment
variables changed since start and the job tags, written atomically to
job_metadata in the job directory. Unset LD_PRELOAD first if you exported
epmt source. With -n nothing is written.`;

/** `epmt stop`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`stop takes no arguments`);
  const job = await currentJobContext(ctx.settings, ctx.env, false);
  await stopJob(job, ctx.env, ctx.flags.dryRun);
  return 0;
}

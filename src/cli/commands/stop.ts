import {
  currentJobContext,
  findCollectorLibs,
  stopJob,
} from "../../job/mod.ts";
import * as log from "../../log.ts";
import type { Context } from "../context.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt stop`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "stop",
  summary: "record the end of the job and write job_metadata",
  synopsis: ["[-n]"],
  description:
    `Records the end of the current job: stop time, exit status (the first
non-zero status among its epmt run commands, else SLURM's exit code when
run from an Epilog, else 0), the environment variables changed since start
and the job tags, written atomically to job_metadata in the job directory.
Unset LD_PRELOAD first if you exported epmt source: otherwise epmt stop
itself is recorded in the job (it says so). With -n nothing is written.
With the setting job_summary on (EPMT_JOB_SUMMARY=1), prints a few lines
to stderr for the job's log: wall and cpu time, allocation efficiency, the
op that took longest and the job's verdict.`,
  options: [],
});

/** `epmt stop`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  ctx.parse(command, args);
  const job = await currentJobContext(ctx.settings, ctx.env, false);
  if (collectingItself(ctx)) {
    log.warning(
      `LD_PRELOAD still holds the collector, so this epmt stop was recorded as part of job ${job.job.id}: unset LD_PRELOAD before epmt stop`,
    );
  }
  await stopJob(job, ctx.env, ctx.flags.dryRun);
  if (!ctx.flags.dryRun) {
    const { printJobSummary } = await import("../job_summary.ts");
    await printJobSummary(ctx.settings, job.dir);
  }
  return 0;
}

/** True when the collector runs in this very process (export $(epmt source) without the unset). */
function collectingItself(ctx: Context): boolean {
  const env = ctx.env;
  if (!env.LD_PRELOAD || !env.PAPIEX_OUTPUT || !env.PAPIEX_OPTIONS) {
    return false;
  }
  const preloaded = env.LD_PRELOAD.split(/[:\s]+/);
  const collector = findCollectorLibs(ctx.settings.install_prefix);
  return collector?.preload.some((p) => preloaded.includes(p)) ?? false;
}

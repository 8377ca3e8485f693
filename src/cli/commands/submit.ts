import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import * as log from "../../log.ts";
import { print } from "../../io.ts";

export const usage = `epmt submit [-n] [--drop] [DIR | ARCHIVE ...]

Loads stopped jobs into the database: each job directory (job_metadata and
the collector's CSV/TSV files) or archive made by 'epmt stage' (.tgz,
.tar.gz, .tar), or each of those in a folder that holds them (a folder of
staged archives). Each job is stored whole, in one transaction, or not at
all; a job already in the database is refused. With no argument, submits
the current job's directory.

  -n, --dry-run  read and check everything, report what would be loaded,
                 write nothing (the database is not opened)
  --drop         drop and recreate the database schema first (all stored
                 jobs are lost; no confirmation is asked)

The summary on stdout lists each job loaded or failed; the exit code is 1
if any failed. -v adds per-job detail.`;

interface Options {
  dryRun: boolean;
  drop: boolean;
  inputs: string[];
}

function parseArgs(ctx: Context, args: string[]): Options {
  const opts: Options = {
    dryRun: ctx.flags.dryRun,
    drop: ctx.flags.drop,
    inputs: [],
  };
  let flags = true;
  for (const arg of args) {
    if (flags && arg === "--") flags = false;
    else if (flags && (arg === "-n" || arg === "--dry-run")) opts.dryRun = true;
    else if (flags && arg === "--drop") opts.drop = true;
    else if (flags && arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`submit: unknown option ${arg}`);
    } else opts.inputs.push(arg);
  }
  return opts;
}

export async function run(ctx: Context, args: string[]): Promise<number> {
  const opts = parseArgs(ctx, args);
  if (opts.inputs.length === 0) {
    const { currentJobContext, currentJobDir } = await import(
      "../../job/lifecycle.ts"
    );
    const c = await currentJobContext(ctx.settings, ctx.env, false);
    opts.inputs.push((await currentJobDir(c)).replace(/\/$/, ""));
  }
  const { submitJobs } = await import("../../ingest/submit.ts");
  const results = await submitJobs(ctx.settings, opts.inputs, {
    dryRun: opts.dryRun,
    drop: opts.drop,
  });
  let failed = 0;
  for (const r of results) {
    if (r.error === undefined) {
      const what = `${plural(r.numProcs, "process", "processes")}, ${
        plural(r.numThreads, "thread", "threads")
      }`;
      print(
        opts.dryRun
          ? `would load job ${r.jobid} (${what}) from ${r.input}`
          : `loaded job ${r.jobid} (${what}) from ${r.input}`,
      );
    } else {
      failed++;
      print(`FAILED ${r.input}: ${r.error}`);
    }
  }
  if (results.length > 1) {
    const ok = results.length - failed;
    print(
      `${
        opts.dryRun ? "would load" : "loaded"
      } ${ok} of ${results.length} jobs` +
        (failed ? `, ${failed} failed` : ""),
    );
  }
  if (failed) log.debug(`submit: ${failed} job(s) failed`);
  return failed ? 1 : 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

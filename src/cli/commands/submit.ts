import type { Context } from "../context.ts";
import * as log from "../../log.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt submit`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "submit",
  summary: "load job directories or archives into the database",
  synopsis: ["[-n] [--drop] [DIR | ARCHIVE ...]"],
  description:
    `Loads stopped jobs into the database: each job directory (job_metadata and
the collector's CSV/TSV files) or archive made by 'epmt stage' (.tgz,
.tar.gz, .tar), or each of those in a folder that holds them (a folder of
staged archives). Each job is stored whole, in one transaction, or not at
all; a job already in the database is refused. With no argument, submits
the current job's directory. With -n, reads and checks everything and
reports what would be loaded, writing nothing (the database is not opened).`,
  positionals: [{
    name: "DIR | ARCHIVE",
    variadic: true,
    optional: true,
    complete: "file",
    help: "a job directory, a staged archive, or a folder of them",
  }],
  options: [],
  globals: ["dry-run", "verbose", "help", "drop"],
  notes: `--drop drops and recreates the database schema first: all stored jobs
are lost, and no confirmation is asked.

The summary on stdout lists each job loaded or failed; the exit code is 1
if any failed. -v adds per-job detail.`,
});

export async function run(ctx: Context, args: string[]): Promise<number> {
  const { positional } = ctx.parse(command, args);
  const opts = {
    dryRun: ctx.flags.dryRun,
    drop: ctx.flags.drop,
    inputs: positional,
  };
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

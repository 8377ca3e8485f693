import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt submit`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "submit",
  summary: "load job directories or archives into the database",
  synopsis: ["[-n] [--drop [--yes]] [DIR | ARCHIVE ...]"],
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
  options: [{
    long: "yes",
    short: "y",
    type: "flag",
    help: "with --drop: drop without asking",
  }],
  globals: ["dry-run", "verbose", "help", "drop"],
  notes: `--drop drops and recreates the database schema first: every stored job
is lost. It asks for "yes" on a terminal; elsewhere it needs --yes. It says
how many jobs it dropped.

The summary on stdout lists each job loaded or failed; the exit code is 1
if any failed. -v adds per-job detail.`,
});

export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts: given, positional } = ctx.parse(command, args);
  const opts = {
    dryRun: ctx.flags.dryRun,
    drop: ctx.flags.drop,
    yes: given.yes,
    inputs: positional,
  };
  if (opts.inputs.length === 0) {
    const { currentJobContext, currentJobDir } = await import(
      "../../job/mod.ts"
    );
    const c = await currentJobContext(ctx.settings, ctx.env, false);
    opts.inputs.push((await currentJobDir(c)).replace(/\/$/, ""));
  }
  const { submitJobs } = await import("../../ingest/mod.ts");
  const results = await submitJobs(ctx.settings, opts.inputs, {
    dryRun: opts.dryRun,
    drop: opts.drop,
    confirmDrop: opts.yes ? undefined : confirmDrop,
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

/**
 * Asks on the terminal before dropping `what`; without a terminal to ask
 * on, refuses (a script must say --yes).
 */
async function confirmDrop(what: string): Promise<boolean> {
  if (!Deno.stdin.isTerminal() || !Deno.stderr.isTerminal()) {
    throw new UserError(
      `--drop would delete ${what}: add --yes to confirm (nothing dropped)`,
    );
  }
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `--drop deletes ${what}. Type yes to go on: `,
    ),
  );
  return (await readLine()).trim() === "yes";
}

/** One line from standard input (without its end). */
async function readLine(): Promise<string> {
  const buf = new Uint8Array(256);
  let text = "";
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) return text;
    text += new TextDecoder().decode(buf.subarray(0, n));
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

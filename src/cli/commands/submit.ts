import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import { print } from "../../io.ts";

export const usage = `epmt submit [-n] [--drop [--yes]] [DIR | ARCHIVE ...]

Loads stopped jobs into the database: each job directory (job_metadata and
the collector's CSV/TSV files) or archive made by 'epmt stage' (.tgz,
.tar.gz, .tar), or each of those in a folder that holds them (a folder of
staged archives). Each job is stored whole, in one transaction, or not at
all; a job already in the database is refused. With no argument, submits
the current job's directory.

  -n, --dry-run  read and check everything, report what would be loaded,
                 write nothing (the database is not opened)
  --drop         drop and recreate the database schema first: every stored
                 job is lost. Asks for "yes" on a terminal; elsewhere needs
                 --yes. Says how many jobs it dropped.
  -y, --yes      drop without asking

The summary on stdout lists each job loaded or failed; the exit code is 1
if any failed. -v adds per-job detail.`;

interface Options {
  dryRun: boolean;
  drop: boolean;
  yes: boolean;
  inputs: string[];
}

function parseArgs(ctx: Context, args: string[]): Options {
  const opts: Options = {
    dryRun: ctx.flags.dryRun,
    drop: ctx.flags.drop,
    yes: false,
    inputs: [],
  };
  let flags = true;
  for (const arg of args) {
    if (flags && arg === "--") flags = false;
    else if (flags && (arg === "-n" || arg === "--dry-run")) opts.dryRun = true;
    else if (flags && arg === "--drop") opts.drop = true;
    else if (flags && (arg === "-y" || arg === "--yes")) opts.yes = true;
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

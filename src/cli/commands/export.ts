import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { ioReason, print } from "../../io.ts";

/** The table of `epmt export`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "export",
  summary: "write jobs, processes or threads as JSON or CSV",
  synopsis: [
    "JOBID... [--what jobs|procs|threads] [--format json|csv]",
    " [-o FILE]",
  ],
  description:
    `Writes every stored column of the jobs (default), of their processes, or of
their threads (one record per thread), for scripts and other tools. Names
and units are the database's (docs/schema.md: times in µs since the epoch,
cpu times in µs, rssmax in KiB, I/O in bytes); args are exact.`,
  positionals: [{ name: "JOBID", variadic: true, help: "the jobs to export" }],
  options: [
    {
      long: "what",
      short: "w",
      type: "string",
      value: "WHAT",
      choices: ["jobs", "procs", "threads"],
      default: "jobs",
      help: "what to write a record for",
    },
    {
      long: "format",
      short: "f",
      type: "string",
      value: "FMT",
      choices: ["json", "csv"],
      help: "json (an array, one record per line) or csv (RFC 4180, JSON " +
        "columns as JSON text); default json, or csv when FILE ends in " +
        ".csv. Object keys are sorted, so SQLite and PostgreSQL give the " +
        "same output.",
    },
    {
      long: "output",
      short: "o",
      type: "string",
      value: "FILE",
      help: "write to FILE (replaced only when the export is complete) " +
        "instead of stdout; with -n, only say what would be written",
    },
  ],
  notes: `example:
  epmt export 4711 --what procs -o procs.csv`,
});

/** Where a dry run's records go: counted, not kept. */
const NOWHERE = { writeSync: (p: Uint8Array) => p.length };

/** `epmt export`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (positional.length === 0) throw new UsageError("export: name a JOBID");
  const what = opts.what;
  const format = opts.format ??
    (opts.output?.toLowerCase().endsWith(".csv") ? "csv" : "json");
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const { exportJobs } = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const log = await import("../../log.ts");
  return await withStore(ctx.settings, async (store) => {
    const jobs = await requireJobs(store, positional);
    if (opts.output === undefined) {
      const w = new Writer();
      await exportJobs(store, jobs, what, format, w);
      w.flush();
      return 0;
    }
    const target = opts.output;
    if (ctx.flags.dryRun) {
      const n = await exportJobs(
        store,
        jobs,
        what,
        format,
        new Writer(NOWHERE),
      );
      print(`would write ${counted(n, what)} to ${target}`);
      return 0;
    }
    // A temporary file beside FILE, renamed over it when complete: an
    // interrupted export never leaves a truncated FILE behind.
    const tmp = `${target}.epmt-${Deno.pid}.tmp`;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(tmp, { write: true, createNew: true });
    } catch (e) {
      throw new UserError(`cannot write ${target}: ${ioReason(e)}`);
    }
    try {
      const w = new Writer(file, target);
      const n = await exportJobs(store, jobs, what, format, w);
      w.flush();
      file.close();
      await Deno.rename(tmp, target);
      log.info(
        `wrote ${counted(n, what)} to ${target}`,
      );
    } catch (e) {
      try {
        file.close();
      } catch {
        // already closed
      }
      await Deno.remove(tmp).catch(() => {});
      if (
        e instanceof Deno.errors.PermissionDenied ||
        e instanceof Deno.errors.NotFound
      ) {
        throw new UserError(`cannot write ${target}: ${ioReason(e)}`);
      }
      throw e;
    }
    return 0;
  });
}

/** "1 job", "9 processes", "5 threads". */
function counted(n: number, what: "jobs" | "procs" | "threads"): string {
  const [one, many] = what === "procs"
    ? ["process", "processes"]
    : [what.slice(0, -1), what];
  return `${n} ${n === 1 ? one : many}`;
}

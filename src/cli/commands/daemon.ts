import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { print } from "../../io.ts";

/** The table of `epmt daemon`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "daemon",
  summary: "load every job dropped into a folder, exactly once (ingest daemon)",
  synopsis: ["--ingest DIR [--interval S] [--once] [--retire] [--analyze]"],
  description:
    `Watches the drop folder DIR for staged archives (.tgz from 'epmt stage')
and stopped job directories, and submits each exactly once: a job is taken
when it looked the same in two looks in a row (a copy still being written
waits), stored in one transaction, then moved to DIR/done/; a job that cannot
be loaded goes to DIR/failed/ with <name>.err holding the reason. When the
database is away the jobs stay where they are and the daemon retries with
backoff (1 s doubling to 60 s). One line per job on standard output.
SIGTERM or SIGINT: the current job is finished, then the daemon stops.
One daemon per folder (lock file DIR/.epmt-daemon.lock); daemons on other
folders of the same database never store a job twice (the database refuses
a stored job).`,
  options: [
    {
      long: "ingest",
      type: "string",
      value: "DIR",
      help: "the drop folder (required)",
    },
    {
      long: "interval",
      type: "number",
      value: "S",
      default: 30,
      help: "seconds between looks at the folder",
    },
    {
      long: "once",
      type: "flag",
      help: "one pass, then exit (for cron): two looks min(S, 2) s apart, " +
        "load what is complete",
    },
    {
      long: "retire",
      type: "flag",
      help: "apply retire_jobs_ndays / retire_procs_ndays once a day " +
        "(the last time is kept in DIR/.epmt-daemon.json)",
    },
    {
      long: "analyze",
      type: "flag",
      help: "analyze each job after loading it (when this epmt has 'epmt " +
        "analyze')",
    },
  ],
  notes: `systemd: scripts/systemd/epmt-daemon.service. Without a daemon, cron:
  */10 * * * *  epmt daemon --ingest /shared/epmt/incoming --once --retire
(docs/operating.md).`,
});

/** `epmt daemon`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (positional.length) {
    throw new UsageError(`daemon: unexpected argument ${positional[0]}`);
  }
  if (opts.ingest === undefined) {
    throw new UsageError("daemon: give the drop folder with --ingest DIR");
  }
  if (!(opts.interval > 0)) {
    throw new UsageError("daemon: --interval wants a number of seconds > 0");
  }
  const log = (line: string) =>
    print(`${new Date().toISOString().replace(/\.\d+Z$/, "Z")} ${line}`);
  const { loadAnalyzer, runDaemon } = await import("../../site/mod.ts");
  const analyze = opts.analyze ? await loadAnalyzer() : undefined;
  if (opts.analyze && !analyze) {
    log(
      "--analyze: not available in this epmt (no 'epmt analyze'); loading only",
    );
  }
  await runDaemon({
    dir: opts.ingest,
    settings: ctx.settings,
    intervalS: opts.interval,
    once: opts.once,
    retire: opts.retire,
    analyze,
    log,
  });
  return 0;
}

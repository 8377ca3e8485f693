import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt list`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "list",
  summary: "list jobs, or the processes of a job",
  synopsis: [
    "[FILTERS] [--limit N] [--offset N] [--json | --csv]",
    "procs JOBID [--exe NAME] [--tag K:V] [--sort cpu|duration|rss]",
    " [--limit N] [--json | --csv]",
  ],
  description:
    `Lists jobs, newest first (by start time), 20 at a time unless --limit says
otherwise; or the processes of one job, in start order.`,
  positionals: [
    {
      name: "procs",
      optional: true,
      words: ["procs"],
      help: "list the processes of job JOBID instead of jobs",
    },
    { name: "JOBID", optional: true, help: "the job whose processes to list" },
  ],
  options: [
    {
      long: "user",
      short: "u",
      type: "string",
      value: "NAME",
      group: "jobs",
      help: "jobs of this user",
    },
    {
      long: "after",
      type: "string",
      value: "DATE",
      group: "jobs",
      help: "started at or after DATE (2026-11-25, '2026-11-25 14:30', 3d, " +
        "12h, today, yesterday)",
    },
    {
      long: "before",
      type: "string",
      value: "DATE",
      group: "jobs",
      help: "started before DATE (same forms as --after)",
    },
    {
      long: "exp",
      type: "string",
      value: "NAME",
      group: "jobs",
      help: "jobs of this experiment (exp_name)",
    },
    {
      long: "flagged",
      type: "flag",
      group: "jobs",
      help: "jobs whose analysis at submit (or epmt analyze) flagged " +
        "something against a reference model",
    },
    {
      long: "unanalyzed",
      type: "flag",
      group: "jobs",
      help: "jobs not analysed yet, or whose analysis failed",
    },
    {
      long: "offset",
      type: "int",
      value: "N",
      default: 0,
      group: "jobs",
      help: "skip the first N jobs",
    },
    {
      long: "tag",
      short: "t",
      type: "list",
      value: "K:V",
      group: "jobs and procs",
      help: "jobs with this tag (job tags or any process's tags), or with " +
        "procs the processes with this process tag; K alone: the tag is " +
        "set; repeat to require several",
    },
    {
      long: "limit",
      short: "l",
      type: "int",
      value: "N",
      default: 20,
      group: "jobs and procs",
      help: "at most N jobs or processes (0: all)",
    },
    {
      long: "exe",
      type: "string",
      value: "NAME",
      group: "procs",
      help: "processes of this executable (glob: 'python*')",
    },
    {
      long: "sort",
      type: "string",
      value: "KEY",
      choices: ["start", "cpu", "duration", "rss"],
      default: "start",
      group: "procs",
      help: "start order, or largest first by cpu, duration or rss",
    },
    {
      long: "json",
      type: "flag",
      group: "output",
      help: "raw values for scripts as JSON (µs, KiB, bytes; units in the " +
        "column names)",
    },
    {
      long: "csv",
      type: "flag",
      group: "output",
      help: "the same as CSV",
    },
  ],
  notes: `examples:
  epmt list --user ann --after 3d --tag exp_name:esm4
  epmt list procs 4711 --sort cpu --limit 5`,
});

/** `epmt list` and `epmt list procs JOBID`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional, given } = ctx.parse(command, args);
  const { formatOf, printRecords } = await import("../../query/mod.ts");
  const { parseDate, parseTag } = await import("../../query/mod.ts");
  const { withStore } = await import("../../query/mod.ts");
  const list = await import("../../query/mod.ts");
  const format = formatOf("list", opts);
  const limit = opts.limit;
  const tags = opts.tag.map(parseTag);

  if (positional[0] === "procs") {
    if (positional.length !== 2) {
      throw new UsageError("list procs: name one JOBID");
    }
    for (
      const o of [
        "user",
        "after",
        "before",
        "exp",
        "offset",
        "flagged",
        "unanalyzed",
      ] as const
    ) {
      if (given.has(o)) {
        throw new UsageError(`list procs: --${o} is for listing jobs`);
      }
    }
    const jobid = positional[1];
    const sort = opts.sort;
    return await withStore(ctx.settings, async (store) => {
      const { requireJobs } = await import("../../query/mod.ts");
      const [job] = await requireJobs(store, [jobid], "start_us, hosts");
      const page = await list.listProcs(
        store,
        jobid,
        { exe: opts.exe, tags },
        sort,
        limit,
      );
      const hosts = JSON.parse(String(job.hosts ?? "[]")) as string[];
      printRecords(
        format,
        list.PROC_LIST_COLUMNS,
        page.rows.map((r) => list.procRecord(jobid, r)),
        () =>
          list.procsTable(
            page,
            job.start_us as number | null,
            hosts.length > 1,
          ),
      );
      return 0;
    });
  }
  if (positional.length > 0) {
    throw new UsageError(
      `list: unexpected ${
        positional[0]
      } (to see a job: epmt show JOBID; its processes: epmt list procs JOBID)`,
    );
  }
  if (given.has("exe") || given.has("sort")) {
    throw new UsageError("list: --exe and --sort are for 'list procs JOBID'");
  }
  const now = Date.now() * 1000;
  const filter = {
    flagged: opts.flagged,
    unanalyzed: opts.unanalyzed,
    user: opts.user,
    exp: opts.exp,
    tags,
    after: opts.after === undefined
      ? undefined
      : parseDate(opts.after, now, "--after"),
    before: opts.before === undefined
      ? undefined
      : parseDate(opts.before, now, "--before"),
  };
  const offset = opts.offset;
  return await withStore(ctx.settings, async (store) => {
    const page = await list.listJobs(store, filter, limit, offset);
    printRecords(
      format,
      list.JOB_LIST_COLUMNS,
      page.rows.map(list.jobRecord),
      () => list.jobsTable(page, offset),
    );
    return 0;
  });
}

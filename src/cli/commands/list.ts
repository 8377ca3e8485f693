import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { choiceOption, intOption, parseOptions } from "../../query/args.ts";

export const usage =
  `epmt list [FILTERS] [--limit N] [--offset N] [--json | --csv]
epmt list procs JOBID [--exe NAME] [--tag K:V] [--sort cpu|duration|rss]
                [--limit N] [--json | --csv]

Lists jobs, newest first (by start time), 20 at a time unless --limit says
otherwise; or the processes of one job, in start order.

jobs:
  --user NAME      jobs of this user
  --tag K:V        jobs with this tag (job tags or any process's tags);
                   K alone: the tag is set; repeat to require several
  --after DATE     started at or after DATE; --before DATE: started before
                   (2026-11-25, '2026-11-25 14:30', 3d, 12h, today, yesterday)
  --exp NAME       jobs of this experiment (exp_name)
  --flagged        jobs whose analysis at submit (or epmt analyze) flagged
                   something against a reference model
  --unanalyzed     jobs not analysed yet, or whose analysis failed
  --limit N        at most N jobs (default 20; 0: all); --offset N skips N
procs:
  --exe NAME       processes of this executable (glob: 'python*')
  --tag K:V        processes with this process tag
  --sort KEY       largest first by cpu, duration or rss (default: start)
  --limit N        at most N processes (default 20; 0: all)
output:
  --json, --csv    raw values for scripts (µs, KiB, bytes; units in the
                   column names)`;

const SPEC = {
  user: "value",
  tag: "list",
  after: "value",
  before: "value",
  exp: "value",
  limit: "value",
  offset: "value",
  exe: "value",
  sort: "value",
  json: "flag",
  csv: "flag",
  flagged: "flag",
  unanalyzed: "flag",
} as const;

/** `epmt list` and `epmt list procs JOBID`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = parseOptions("list", args, SPEC, {
    "-u": "user",
    "-t": "tag",
    "-l": "limit",
  });
  const { formatOf, printRecords } = await import("../../query/output.ts");
  const { parseDate, parseTag } = await import("../../query/filters.ts");
  const { withStore } = await import("../../query/store.ts");
  const list = await import("../../query/list.ts");
  const format = formatOf("list", opts);
  const limit = intOption("list", "limit", opts.limit, 20);
  const tags = opts.tag.map(parseTag);

  if (positional[0] === "procs") {
    if (positional.length !== 2) {
      throw new UsageError("list procs: name one JOBID");
    }
    for (const o of ["user", "after", "before", "exp", "offset"] as const) {
      if (opts[o] !== undefined) {
        throw new UsageError(`list procs: --${o} is for listing jobs`);
      }
    }
    for (const o of ["flagged", "unanalyzed"] as const) {
      if (opts[o]) {
        throw new UsageError(`list procs: --${o} is for listing jobs`);
      }
    }
    const jobid = positional[1];
    const sort = choiceOption(
      "list procs",
      "sort",
      opts.sort,
      ["start", "cpu", "duration", "rss"] as const,
      "start",
    );
    return await withStore(ctx.settings, async (store) => {
      const { requireJobs } = await import("../../query/store.ts");
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
  if (opts.exe !== undefined || opts.sort !== undefined) {
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
  const offset = intOption("list", "offset", opts.offset, 0);
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

import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { intOption, parseOptions } from "../../query/args.ts";

export const usage =
  `epmt show [--top N] [--tree [--exact] [--depth N] [--width N] [--args N]]
          [--json] JOBID...
epmt show --critical [--json] JOBID...

Summarises a job on one screen: who, where, when, wall and cpu time, cpu
over wall, peak memory, I/O, failed processes, tags, annotations, the
processes that used the most cpu, and where the time went: the allocation's
efficiency (cores, memory and time limit requested, from the job's
environment, against what was used; "not requested" where it does not
tell), a verdict with the numbers behind it (cpu-bound, io-wait,
waiting-on-children, idle, underused, memory-heavy, mixed), the time by op
(epmt ops) and what the analysis at submit found.

  --top N      how many top processes (default 5; 0: none)
  --tree       print the process tree instead: command and args, pid, cpu
               time, inclusive cpu time (with all descendants), exit status.
               Identical siblings (same command, args, exit status and
               subtree) are one line with a count: 'true ×2,000'; siblings
               that differ only in their args are one line too once there
               are 10 kinds of them: 'cp in_0 out/ … ×600 (600 variants)'.
               A process that exec'd is one line, its images joined by ⇒
               and the last one's args: 'bash ⇒ model -n 4'.
  --exact      tree: merge identical siblings only
  --depth N    tree: stop N levels below the roots, showing how many
               processes are hidden below each line ('(+12 below)')
  --width N    tree: at most N different kinds of children per parent, the
               rest summed up on one line (default 50; 0: all)
  --args N     tree: cut args longer than N characters (default 40; 0: never)
  --critical   print the critical path instead: the processes the job's wall
               time waited on, from the root down (children that ran one
               after another all; of those side by side, the one that ended
               last), each with its wall time, share of the job and self time
  --json       raw values for scripts (µs, KiB, bytes; units in the names);
               efficiency (fractions), verdict, ops, analysis`;

const SPEC = {
  tree: "flag",
  critical: "flag",
  exact: "flag",
  depth: "value",
  width: "value",
  args: "value",
  top: "value",
  json: "flag",
} as const;

/** `epmt show`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = parseOptions("show", args, SPEC, {
    "-t": "tree",
    "-d": "depth",
  });
  if (positional.length === 0) throw new UsageError("show: name a JOBID");
  if (opts.critical && opts.tree) {
    throw new UsageError("show: give --tree or --critical, not both");
  }
  if (!opts.tree) {
    for (const o of ["depth", "width", "args"] as const) {
      if (opts[o] !== undefined) {
        throw new UsageError(`show: --${o} goes with --tree`);
      }
    }
    if (opts.exact) throw new UsageError("show: --exact goes with --tree");
  }
  const depth = opts.depth === undefined
    ? undefined
    : intOption("show", "depth", opts.depth, 0);
  const width = intOption("show", "width", opts.width, 50);
  const argsWidth = intOption("show", "args", opts.args, 40);
  const topN = intOption("show", "top", opts.top, 5);
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const show = await import("../../query/show.ts");
  const { Writer } = await import("../../query/output.ts");
  const { renderJson, renderTable } = await import("../../query/table.ts");
  const a = await import("../../analysis/mod.ts");
  return await withStore(ctx.settings, async (store) => {
    const jobs = await requireJobs(store, positional);
    const out = new Writer();
    const records: unknown[] = [];
    for (const [i, job] of jobs.entries()) {
      const jobid = String(job.jobid);
      if (opts.critical) {
        const procs = await a.readProcs(store, jobid);
        const wall = a.jobWall(
          job,
          a.unionLength(procs.start, procs.end, a.allOf(procs)),
        );
        const steps = a.criticalPath(procs, wall);
        if (opts.json) records.push(a.criticalRecord(jobid, wall, steps));
        else {
          if (i > 0) out.line();
          out.line(a.criticalText(jobid, wall, steps));
        }
        continue;
      }
      if (opts.tree) {
        const { treeJson, treeLines } = await import("../../query/tree.ts");
        const roots = await show.jobTree(store, job, {
          depth,
          width,
          argsWidth,
          similar: opts.exact ? 0 : undefined,
        });
        if (opts.json) {
          records.push({ jobid: job.jobid, tree: treeJson(roots) });
          continue;
        }
        if (i > 0) out.line();
        if (jobs.length > 1) out.line(`Job ${job.jobid}:`);
        if (roots.length === 0) {
          out.line("no processes");
          continue;
        }
        out.line(renderTable(
          [
            { title: "PROCESS" },
            { title: "PID", align: "right" },
            { title: "CPU", align: "right" },
            { title: "INCL CPU", align: "right" },
            { title: "EXIT", align: "right" },
          ],
          treeLines(roots, { argsWidth }),
        ));
      } else {
        const summary = await show.jobSummary(store, job, topN);
        summary.analysis = a.analyzeJob(job, await a.readProcs(store, jobid));
        summary.stored = await a.storedAnalysis(store, jobid);
        if (opts.json) {
          records.push(show.summaryRecord(summary));
          continue;
        }
        if (i > 0) out.line();
        out.line(show.summaryText(summary));
      }
    }
    if (opts.json) {
      out.line(renderJson(records.length === 1 ? records[0] : records));
    }
    out.flush();
    return 0;
  });
}

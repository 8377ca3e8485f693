import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt show`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "show",
  summary:
    "summarise one job (--tree: its process tree; --critical: its critical path)",
  synopsis: [
    "[--top N] [--tree [--exact] [--depth N] [--width N] [--args N]]",
    " [--json] JOBID...",
    "--critical [--json] JOBID...",
  ],
  description:
    `Summarises a job on one screen: who, where, when, wall and cpu time, cpu
over wall, peak memory, I/O, failed processes, tags, annotations, the
processes that used the most cpu, and where the time went: the allocation's
efficiency (cores, memory and time limit requested, from the job's
environment, against what was used; "not requested" where it does not
tell), a verdict with the numbers behind it (cpu-bound, io-wait,
waiting-on-children, idle, underused, memory-heavy, mixed), the time by op
(epmt ops) and what the analysis at submit found (docs/analysis.md).`,
  positionals: [{ name: "JOBID", variadic: true, help: "the jobs to show" }],
  options: [
    {
      long: "top",
      type: "int",
      value: "N",
      default: 5,
      help: "how many top processes (0: none)",
    },
    {
      long: "tree",
      short: "t",
      type: "flag",
      group: "tree",
      help: "print the process tree instead: command and args, pid, cpu " +
        "time, inclusive cpu time (with all descendants), exit status. " +
        "Identical siblings (same command, args, exit status and subtree) " +
        "are one line with a count: 'true ×2,000'; siblings that differ " +
        "only in their args are one line too once there are 10 kinds of " +
        "them: 'cp in_0 out/ … ×600 (600 variants)'. A process that " +
        "exec'd is one line, its images joined by ⇒ and the last one's " +
        "args: 'bash ⇒ model -n 4'.",
    },
    {
      long: "exact",
      type: "flag",
      group: "tree",
      help: "merge identical siblings only",
    },
    {
      long: "depth",
      short: "d",
      type: "int",
      value: "N",
      group: "tree",
      help: "stop N levels below the roots, showing how many processes are " +
        "hidden below each line ('(+12 below)')",
    },
    {
      long: "width",
      type: "int",
      value: "N",
      default: 50,
      group: "tree",
      help: "at most N different kinds of children per parent, the rest " +
        "summed up on one line (0: all)",
    },
    {
      long: "args",
      type: "int",
      value: "N",
      default: 40,
      group: "tree",
      help: "cut args longer than N characters (0: never)",
    },
    {
      long: "critical",
      type: "flag",
      group: "critical path",
      help: "print the critical path instead: the processes the job's wall " +
        "time waited on, from the root down (children that ran one after " +
        "another all; of those side by side, the one that ended last), " +
        "each with its wall time, share of the job and self time",
    },
    {
      long: "json",
      type: "flag",
      group: "output",
      help: "raw values for scripts (µs, KiB, bytes; units in the names); " +
        "efficiency (fractions), verdict, ops, analysis",
    },
  ],
  notes: `examples:
  epmt show 4711
  epmt show --tree --depth 2 4711
  epmt show --critical 4711`,
});

/** `epmt show`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional, given } = ctx.parse(command, args);
  if (positional.length === 0) throw new UsageError("show: name a JOBID");
  if (opts.critical && opts.tree) {
    throw new UsageError("show: give --tree or --critical, not both");
  }
  if (!opts.tree) {
    for (const o of ["depth", "width", "args"] as const) {
      if (given.has(o)) {
        throw new UsageError(`show: --${o} goes with --tree`);
      }
    }
    if (opts.exact) throw new UsageError("show: --exact goes with --tree");
  }
  const { depth, width, args: argsWidth, top: topN } = opts;
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const show = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const { renderJson, renderTable } = await import("../../query/mod.ts");
  const a = await import("../../analysis/mod.ts");
  return await withStore(ctx.settings, async (store) => {
    const jobs = await requireJobs(store, positional);
    const out = new Writer();
    const records: unknown[] = [];
    for (const [i, job] of jobs.entries()) {
      const jobid = String(job.jobid);
      if (opts.critical) {
        const procs = await a.readProcs(store, jobid, "critical");
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
        const { treeJson, treeLines } = await import("../../query/mod.ts");
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
          out.line(
            job.procs_retired_us != null
              ? "no processes: their rows were retired (epmt retire)"
              : "no processes",
          );
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
        summary.analysis = a.analyzeJob(
          job,
          await a.readProcs(store, jobid, a.needForOps(job, a.DEFAULT_OP_KEY)),
        );
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

import type { Context } from "../context.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt ops`. */
export const command = defineCommand({
  name: "ops",
  summary: "where a job's time went, op by op (or step by step)",
  synopsis: ["[--by KEY] [--json] JOBID..."],
  description:
    `Accounts for a job's time one op at a time: the processes tagged with
each value of a process tag (op by default, PAPIEX_TAGS="op:ocean"), plus
"untagged" for the rest. A job without that tag is split into the steps of
its job script instead: the top-level commands (the root's children, with
everything they ran), identical ones folded into one row as show --tree
folds them. Each row has the number of processes, the wall time with
overlapping processes counted once, cpu time, their shares of the job's
wall and cpu time, bytes read and written, time in disk I/O (blkio delay),
time waiting for a CPU, the largest process's peak RSS and a verdict.`,
  positionals: [{ name: "JOBID", variadic: true, help: "the jobs" }],
  options: [
    {
      long: "by",
      type: "string",
      value: "KEY",
      default: "op",
      help: "the process tag whose values are the ops",
    },
    {
      long: "json",
      type: "flag",
      help: "one object per op: op, procs, wall_us, cpu_us, share_wall, " +
        "share_cpu, read_bytes, write_bytes, blkio_us, time_waiting_us, " +
        "rssmax_peak_kib, verdict",
    },
  ],
  notes:
    `Verdicts (docs/analysis.md, "Where the time went"): cpu-bound, io-wait,
waiting-on-children, idle, memory-heavy, mixed.`,
});

/** `epmt ops`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  const { UsageError } = await import("../../errors.ts");
  if (positional.length === 0) throw new UsageError("ops: name a JOBID");
  if (opts.by.trim() === "") throw new UsageError("ops: --by wants a tag key");
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const a = await import("../../analysis/mod.ts");
  const { Writer } = await import("../../query/output.ts");
  const { renderJson } = await import("../../query/table.ts");
  return await withStore(ctx.settings, async (store) => {
    const jobs = await requireJobs(store, positional);
    const out = new Writer();
    const records: unknown[] = [];
    for (const [i, job] of jobs.entries()) {
      const jobid = String(job.jobid);
      const procs = await a.readProcs(store, jobid, a.needForOps(job, opts.by));
      const { ops } = a.analyzeJob(job, procs, opts.by);
      if (opts.json) {
        records.push(a.opsRecord(jobid, ops));
        continue;
      }
      if (i > 0) out.line();
      out.line(a.opsText(jobid, ops));
    }
    if (opts.json) {
      out.line(renderJson(records.length === 1 ? records[0] : records));
    }
    out.flush();
    return 0;
  });
}

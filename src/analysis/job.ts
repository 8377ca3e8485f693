/**
 * The analysis of one job: allocation efficiency, the job's verdict and its
 * ops with theirs. Pure computation on a jobs row and its processes, so
 * show, ops, submit and stop share it.
 */
import type { Row } from "../db/mod.ts";
import { type Efficiency, efficiencyOf, jobWall } from "./efficiency.ts";
import { type Ops, opsOf } from "./ops.ts";
import type { Procs } from "./procs.ts";
import { allOf, type Usage, usageOf } from "./usage.ts";
import { type Verdict, verdictOf } from "./verdict.ts";

/** What `analyzeJob` finds. */
export interface JobAnalysis {
  usage: Usage;
  efficiency: Efficiency;
  verdict: Verdict;
  ops: Ops;
}

/** The tag key ops are grouped by unless told otherwise. */
export const DEFAULT_OP_KEY = "op";

/** How much to analyse. */
export interface AnalyzeOptions {
  /**
   * For a job without the op tag, split it into the steps of its job
   * script (the tree grouping of show --tree); false leaves its ops empty
   * (submit: the steps are worked out when shown). @default true
   */
  steps?: boolean;
  /**
   * Work out the ops at all; false leaves them empty (submit stores the
   * job's efficiency and verdict; ops are worked out when shown).
   * @default true
   */
  ops?: boolean;
}

/** Analyses `job` (its jobs row) with its processes. */
export function analyzeJob(
  job: Row,
  procs: Procs,
  by: string = DEFAULT_OP_KEY,
  opts: AnalyzeOptions = {},
): JobAnalysis {
  const measured = usageOf(procs, allOf(procs));
  // The job's wall is its recorded start to stop, not only its processes'.
  const usage = { ...measured, wall_us: jobWall(job, measured.wall_us) };
  const efficiency = efficiencyOf(job, usage);
  const mem = efficiency.requested.memory_per_node_bytes;
  const verdict = verdictOf(usage, {
    cores: efficiency.requested.cores,
    memory_per_node_bytes: mem,
    job: true,
  });
  const ops = opts.ops === false
    ? {
      by,
      grouping: "tag" as const,
      job_wall_us: usage.wall_us,
      job_cpu_us: usage.cpu_us,
      ops: [],
    }
    : opsOf(
      job,
      procs,
      by,
      { memory_per_node_bytes: mem },
      measured,
      opts.steps ?? true,
    );
  return { usage, efficiency, verdict, ops };
}

/** The op that took the most wall time, if any. */
export function topOp(ops: Ops): Ops["ops"][number] | undefined {
  let best: Ops["ops"][number] | undefined;
  for (const o of ops.ops) if (!best || o.wall_us > best.wall_us) best = o;
  return best;
}

/**
 * Where a job's time went: per-op accounting (ops.ts), allocation
 * efficiency (efficiency.ts, allocation.ts), verdicts (verdict.ts), the
 * critical path (critical.ts), and the analysis stored at submit
 * (stored.ts). Other folders import only this module.
 */
export { type Allocation, allocationOf } from "./allocation.ts";
export { criticalPath, type Step } from "./critical.ts";
export { type Efficiency, efficiencyOf, jobWall } from "./efficiency.ts";
export { peakConcurrent, unionLength } from "./intervals.ts";
export { analyzeJob, DEFAULT_OP_KEY, type JobAnalysis, topOp } from "./job.ts";
export { type Op, type Ops, opsOf, UNTAGGED } from "./ops.ts";
export {
  collectingRows,
  needForOps,
  type Procs,
  PROCS_SQL,
  ProcsCollector,
  procsFromProcessRows,
  procsFromValues,
  type ProcsNeed,
  procsSql,
  readProcs,
} from "./procs.ts";
export {
  criticalRecord,
  criticalText,
  efficiencyFields,
  efficiencyRecord,
  opRecord,
  opsRecord,
  opsText,
  verdictRecord,
  verdictText,
} from "./render.ts";
export { allOf, type Usage, usageOf } from "./usage.ts";
export {
  type Verdict,
  type VerdictKind,
  verdictOf,
  VERDICTS,
} from "./verdict.ts";
export {
  analyzeAtSubmit,
  type Flag,
  type Outcome,
  reanalyze,
  storedAnalysis,
} from "./stored.ts";
export { stopSummary } from "./stop_summary.ts";

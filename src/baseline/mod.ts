/**
 * Baselines: reference models of known-good jobs, outliers of jobs against
 * them, stragglers among a job's processes, and root-cause ranking. The
 * public face of src/baseline/; other folders import only this module.
 */
import type { JobFeatures } from "./features.ts";
import type { RefModel } from "./model.ts";
import type { Separation } from "./multivariate.ts";

export { createModel, DEFAULT_OP_KEY } from "./create.ts";
export { GROUP_METRICS, type JobFeatures, readFeatures } from "./features.ts";
export {
  buildModel,
  MIN_TRAINING,
  type ModelStats,
  type RefModel,
} from "./model.ts";
export {
  deleteModel,
  type JobKey,
  listModels,
  loadModel,
  modelExists,
  type ModelHead,
  newestModelFor,
  saveModel,
} from "./refmodels.ts";
export { hasSelectors, type Training, trainingJobs } from "./select.ts";
export {
  type Deviation,
  deviations,
  type DistanceJudge,
  type Flag,
  flagsOf,
  judgeAgainst,
} from "./judge.ts";
export type { Distance, Separation } from "./multivariate.ts";
export {
  BASELINE_METHODS,
  type BaselineMethod,
  MULTIVARIATE,
  summarize,
  type Summary,
} from "./summary.ts";

/**
 * Ranks the job metrics separating `job` from the model's training jobs
 * (PCA; multivariate.ts). Async so that the linear algebra libraries load
 * only when asked for.
 */
export async function pcaRanking(
  model: RefModel,
  job: JobFeatures,
  features?: ReadonlySet<string>,
): Promise<Separation[]> {
  return (await import("./multivariate.ts")).pcaRanking(model, job, features);
}
export {
  DEFAULT_THREAD_METRICS,
  MIN_SIBLINGS,
  PROC_GROUPINGS,
  PROC_METRICS,
  type ProcFlag,
  type ProcGrouping,
  stragglers,
  THREAD_METRICS,
  threadStragglers,
} from "./procs.ts";
export {
  type Cause,
  rca,
  type RcaResult,
  type WallShare,
  withStragglers,
} from "./rca.ts";
export {
  flagsRecord,
  flagsText,
  pcaRecord,
  pcaText,
  procFlagsRecord,
  procFlagsText,
  rcaRecord,
  rcaText,
} from "./text.ts";
export { headRecord, listText, modelRecord, modelText } from "./model_text.ts";

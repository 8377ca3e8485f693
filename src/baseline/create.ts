/**
 * `epmt refmodel create`: select the training jobs, read their features,
 * build the model and store it, or refuse with one line and store nothing.
 */
import { UserError } from "../errors.ts";
import type { Store } from "../db/mod.ts";
import { readFeatures } from "./features.ts";
import { buildModel, MIN_TRAINING, type RefModel } from "./model.ts";
import { modelExists, saveModel } from "./refmodels.ts";
import { type Training, trainingJobs } from "./select.ts";

/** The process tag whose values are ops unless told otherwise. */
export const DEFAULT_OP_KEY = "op";

/**
 * Builds the model `name` from the jobs `training` selects and stores it
 * (not with `dryRun`). Throws a UserError, storing nothing, when the name
 * is taken, a job id is unknown, or fewer than MIN_TRAINING jobs are
 * selected.
 */
export async function createModel(
  store: Store,
  name: string,
  training: Training,
  opts: { opKey?: string; nowUs?: number; dryRun?: boolean } = {},
): Promise<RefModel> {
  if (name.trim() === "") throw new UserError("a model needs a name");
  if (await modelExists(store, name)) {
    throw new UserError(`a reference model named ${name} already exists`);
  }
  const ids = await trainingJobs(store, training);
  if (ids.length < MIN_TRAINING) {
    throw new UserError(
      `${ids.length} training job${
        ids.length === 1 ? "" : "s"
      } selected; a reference model needs at least ${MIN_TRAINING}`,
    );
  }
  const opKey = opts.opKey ?? DEFAULT_OP_KEY;
  const jobs = await readFeatures(store, ids, opKey);
  const model = buildModel(name, jobs, opKey, opts.nowUs ?? Date.now() * 1000);
  if (!opts.dryRun) await saveModel(store, model);
  return model;
}

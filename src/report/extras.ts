/**
 * What the report adds from other parts of epmt: analysis (efficiency,
 * verdict, flags, critical path) and reference models (a band per
 * metric). Each is read only when its module is there; the report works
 * without them.
 */
import type { Extras, ExtrasSource } from "./data.ts";

/** The extras of a job: none yet beyond what the jobs row holds. */
export const reportExtras: ExtrasSource = (_store, _job) => {
  const ex: Extras = {};
  return Promise.resolve(ex);
};

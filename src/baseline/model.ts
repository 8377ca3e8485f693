/**
 * A reference model: per feature (job metric, op metric, executable
 * metric) the statistics of a set of known-good training jobs, plus the
 * training jobs' job-level values for the multivariate methods.
 */
import type { JobFeatures, Values } from "./features.ts";
import { summarize, type Summary } from "./summary.ts";

/** Metric -> statistics. */
export type Stats = Record<string, Summary>;

/** What a model stores in its `stats` column. */
export interface ModelStats {
  job: Stats;
  /** Op -> metric -> statistics. */
  ops: Record<string, Stats>;
  /** Executable -> metric -> statistics. */
  exes: Record<string, Stats>;
  /**
   * The training jobs' job-level metrics, one row per job in `jobids`
   * order, columns `train_metrics` (for the multivariate methods).
   */
  train_metrics: string[];
  train: (number | null)[][];
}

/** A stored reference model. */
export interface RefModel {
  name: string;
  /** µs since the epoch. */
  created_us: number;
  exp_name: string;
  exp_component: string;
  /** The job tags every training job shares. */
  tags: Record<string, string>;
  jobids: string[];
  /** The process tag whose values are the ops. */
  op_key: string;
  stats: ModelStats;
}

/** Fewest training jobs a model is built from. */
export const MIN_TRAINING = 3;

function statsOf(rows: Values[]): Stats {
  const values = new Map<string, number[]>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (!values.has(k)) values.set(k, []);
      values.get(k)!.push(v);
    }
  }
  const out: Stats = {};
  for (const k of [...values.keys()].sort()) out[k] = summarize(values.get(k)!);
  return out;
}

/**
 * Per op or executable: its statistics over the training jobs that ran
 * it. A job that did not run it does not count (its n says how many did).
 */
function groupStats(groups: Record<string, Values>[]): Record<string, Stats> {
  const byName = new Map<string, Values[]>();
  for (const g of groups) {
    for (const [name, v] of Object.entries(g)) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)!.push(v);
    }
  }
  const out: Record<string, Stats> = {};
  for (const name of [...byName.keys()].sort()) {
    out[name] = statsOf(byName.get(name)!);
  }
  return out;
}

/** The job tags all of `jobs` have with the same value. */
function sharedTags(jobs: readonly JobFeatures[]): Record<string, string> {
  const out: Record<string, string> = {};
  const first = jobs[0]?.tags ?? {};
  const byKey = (a: [string, unknown], b: [string, unknown]) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  for (const [k, v] of Object.entries(first).sort(byKey)) {
    if (jobs.every((j) => j.tags[k] === v)) out[k] = String(v);
  }
  return out;
}

/** The one value all of `xs` share, or "" when they differ. */
function shared(xs: readonly string[]): string {
  return xs.every((x) => x === xs[0]) ? xs[0] ?? "" : "";
}

/** Builds a model named `name` from the features of its training jobs. */
export function buildModel(
  name: string,
  jobs: readonly JobFeatures[],
  opKey: string,
  createdUs: number,
): RefModel {
  const job = statsOf(jobs.map((j) => j.job));
  const metrics = Object.keys(job);
  return {
    name,
    created_us: createdUs,
    exp_name: shared(jobs.map((j) => j.exp_name)),
    exp_component: shared(jobs.map((j) => j.exp_component)),
    tags: sharedTags(jobs),
    jobids: jobs.map((j) => j.jobid),
    op_key: opKey,
    stats: {
      job,
      ops: groupStats(jobs.map((j) => j.ops)),
      exes: groupStats(jobs.map((j) => j.exes)),
      train_metrics: metrics,
      train: jobs.map((j) => metrics.map((m) => j.job[m] ?? null)),
    },
  };
}

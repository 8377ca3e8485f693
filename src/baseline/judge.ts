/**
 * Judging jobs against a reference model: every job metric, op metric and
 * executable metric the model knows is scored under each method; a flag
 * is a score beyond the method's limit.
 */
import type { Store } from "../db/mod.ts";
import { type Method, METHODS } from "../query/mod.ts";
import { type JobFeatures, readFeatures, type Values } from "./features.ts";
import { MIN_TRAINING, type RefModel, type Stats } from "./model.ts";
import {
  type BaselineMethod,
  beyond,
  MULTIVARIATE,
  ratioToMedian,
  scoreAgainst,
  type Summary,
} from "./summary.ts";

/** A job's multivariate flag, if any (multivariate.ts, loaded on demand). */
export type DistanceJudge = (job: JobFeatures) => Flag | undefined;

/** One feature of a job beyond a method's limit. */
export interface Flag {
  jobid: string;
  /** The metric: duration, cpu_time, rssmax_peak, ... (mahalanobis: "job"). */
  feature: string;
  value: number;
  /** The model's median of it. */
  median: number;
  score: number;
  method: BaselineMethod;
  /** Set when the feature is an op's (the op_key value). */
  op?: string;
  /** Set when the feature is an executable's. */
  exe?: string;
}

/** One feature of a job beside the model's statistics of it. */
export interface Deviation {
  feature: string;
  op?: string;
  exe?: string;
  value: number;
  stats: Summary;
  /** value / median. */
  ratio: number;
  /** Per univariate method. */
  scores: Record<Method, number>;
}

function compare(
  out: Deviation[],
  values: Values,
  stats: Stats,
  where: { op?: string; exe?: string },
  features?: ReadonlySet<string>,
): void {
  for (const [feature, value] of Object.entries(values)) {
    const s = stats[feature];
    if (!s || s.n < MIN_TRAINING) continue;
    if (features && !features.has(feature)) continue;
    const scores = {} as Record<Method, number>;
    for (const m of METHODS) scores[m] = scoreAgainst(m, s, value);
    out.push({
      feature,
      ...where,
      value,
      stats: s,
      ratio: ratioToMedian(s, value),
      scores,
    });
  }
}

/**
 * Every feature of `job` the model has statistics for (from at least
 * MIN_TRAINING jobs), optionally only the metrics in `features`. Ops and
 * executables the model never saw are left out.
 */
export function deviations(
  model: RefModel,
  job: JobFeatures,
  features?: ReadonlySet<string>,
): Deviation[] {
  const out: Deviation[] = [];
  compare(out, job.job, model.stats.job, {}, features);
  for (const [op, v] of Object.entries(job.ops)) {
    const s = model.stats.ops[op];
    if (s) compare(out, v, s, { op }, features);
  }
  for (const [exe, v] of Object.entries(job.exes)) {
    const s = model.stats.exes[exe];
    if (s) compare(out, v, s, { exe }, features);
  }
  return out;
}

/**
 * The flags of already read job features; `distance` judges the
 * multivariate method when it is among `methods`.
 */
export function flagsOf(
  model: RefModel,
  jobs: readonly JobFeatures[],
  methods: readonly BaselineMethod[] = METHODS,
  features?: ReadonlySet<string>,
  distance?: DistanceJudge,
): Flag[] {
  const flags: Flag[] = [];
  for (const job of jobs) {
    for (const d of deviations(model, job, features)) {
      for (const m of methods) {
        if (m === MULTIVARIATE) continue;
        const score = d.scores[m];
        if (!beyond(m, score)) continue;
        flags.push({
          jobid: job.jobid,
          feature: d.feature,
          value: d.value,
          median: d.stats.median,
          score,
          method: m,
          ...(d.op !== undefined ? { op: d.op } : {}),
          ...(d.exe !== undefined ? { exe: d.exe } : {}),
        });
      }
    }
    if (distance && methods.includes(MULTIVARIATE)) {
      const f = distance(job);
      if (f) flags.push(f);
    }
  }
  return flags;
}

/**
 * Judges `jobids` (all stored) against `model` with `methods` (default the
 * three univariate ones) and returns every flag, per job in the order
 * given, job metrics first, then ops, then executables.
 */
export async function judgeAgainst(
  store: Store,
  model: RefModel,
  jobids: readonly string[],
  methods: readonly BaselineMethod[] = METHODS,
  features?: ReadonlySet<string>,
): Promise<Flag[]> {
  const jobs = await readFeatures(store, jobids, model.op_key);
  // The linear algebra libraries load only when the method is asked for.
  const distance = methods.includes(MULTIVARIATE)
    ? (await import("./multivariate.ts")).distanceJudge(model, features)
    : undefined;
  return flagsOf(model, jobs, methods, features, distance);
}

/**
 * Multivariate views of a job against its model, over the job-level
 * metrics at once: a robust Mahalanobis distance (a method of
 * `outliers --against`), and a PCA-based ranking of the metrics that
 * separate a job from the training jobs (`rca --pca`). Linear algebra from
 * ml-matrix and ml-pca (maintained, pure JavaScript, bundle cleanly).
 */
import { Matrix, pseudoInverse } from "ml-matrix";
import { PCA } from "ml-pca";
import type { JobFeatures } from "./features.ts";
import type { RefModel } from "./model.ts";
import type { DistanceJudge, Flag } from "./judge.ts";
import { MULTIVARIATE, NOISE_FLOOR } from "./summary.ts";

/** 1.4826 MAD estimates the standard deviation of normal data. */
const MAD_TO_SD = 1.4826;

/** Standardized values beyond this are clipped when estimating covariance. */
const CLIP = 3;

/** The upper tail probability the distance limit is set at. */
const TAIL_Z = 3.0902; // the standard normal's 0.999 quantile

/**
 * Wilson–Hilferty: the q-quantile of chi-square with k degrees of
 * freedom, within a percent for k >= 1 at this tail.
 */
function chiSquareQuantile(k: number, z = TAIL_Z): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** The training matrix robustly standardized, over the usable metrics. */
interface Standardized {
  metrics: string[];
  center: number[];
  scale: number[];
  /** Training rows, standardized (jobs missing a metric get its median). */
  rows: number[][];
}

function standardize(
  model: RefModel,
  features?: ReadonlySet<string>,
): Standardized {
  const s = model.stats;
  const metrics: string[] = [];
  const center: number[] = [];
  const scale: number[] = [];
  const cols: number[] = [];
  s.train_metrics.forEach((m, c) => {
    if (features && !features.has(m)) return;
    const st = s.job[m];
    if (!st) return;
    const sc = Math.max(MAD_TO_SD * st.mad, NOISE_FLOOR * Math.abs(st.median));
    // A metric that was always 0 has no scale: the univariate methods
    // flag any change of it.
    if (!(sc > 0)) return;
    metrics.push(m);
    center.push(st.median);
    scale.push(sc);
    cols.push(c);
  });
  const rows = s.train.map((r) =>
    cols.map((c, i) => ((r[c] ?? center[i]) - center[i]) / scale[i])
  );
  return { metrics, center, scale, rows };
}

function jobVector(z: Standardized, job: JobFeatures): number[] {
  return z.metrics.map((m, i) =>
    ((job.job[m] ?? z.center[i]) - z.center[i]) / z.scale[i]
  );
}

/**
 * The inverse of a shrunk covariance of the clipped standardized training
 * rows: (1 − λ) C + λ I, with λ larger when there are few jobs for the
 * number of metrics (C alone is singular then).
 */
function precision(z: Standardized): Matrix {
  const p = z.metrics.length;
  const n = z.rows.length;
  const clipped = z.rows.map((r) =>
    r.map((v) => Math.max(-CLIP, Math.min(CLIP, v)))
  );
  const c = Matrix.zeros(p, p);
  for (const r of clipped) {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) c.set(i, j, c.get(i, j) + r[i] * r[j] / n);
    }
  }
  const lambda = Math.max(0.2, p / (n + p));
  const s = c.mul(1 - lambda).add(Matrix.eye(p, p).mul(lambda));
  return pseudoInverse(s);
}

/** A job's robust Mahalanobis distance to its model, with the limit. */
export interface Distance {
  distance: number;
  /** sqrt of the chi-square 0.999 quantile for this many metrics. */
  limit: number;
  metrics: number;
}

/**
 * A function giving the robust Mahalanobis distance of a job from the
 * model's jobs (the covariance is inverted once, for every job judged).
 */
export function distanceOf(
  model: RefModel,
  features?: ReadonlySet<string>,
): (job: JobFeatures) => Distance | undefined {
  const z = standardize(model, features);
  if (z.metrics.length === 0 || z.rows.length < 3) return () => undefined;
  const inv = precision(z);
  const limit = Math.sqrt(chiSquareQuantile(z.metrics.length));
  return (job) => {
    const x = new Matrix([jobVector(z, job)]);
    const d2 = x.mmul(inv).mmul(x.transpose()).get(0, 0);
    return {
      distance: Math.sqrt(Math.max(0, d2)),
      limit,
      metrics: z.metrics.length,
    };
  };
}

/**
 * The multivariate method: a flag when a job's distance passes the limit;
 * value is the distance, median the distance typical of a model job
 * (sqrt of the number of metrics), score distance / limit (so above 1 is
 * an outlier).
 */
export function distanceJudge(
  model: RefModel,
  features?: ReadonlySet<string>,
): DistanceJudge {
  const of = distanceOf(model, features);
  return (job): Flag | undefined => {
    const d = of(job);
    if (!d || d.distance <= d.limit) return undefined;
    return {
      jobid: job.jobid,
      feature: "job",
      value: d.distance,
      median: Math.sqrt(d.metrics),
      score: d.distance / d.limit,
      method: MULTIVARIATE,
    };
  };
}

/** One metric's part in what separates a job from its model. */
export interface Separation {
  feature: string;
  /** The job's value, the model's median, and its standardized gap. */
  value: number;
  median: number;
  z: number;
  /** Its share of the job's distance in the PCA space plus the residual. */
  contribution: number;
  share: number;
}

/**
 * Ranks the job metrics by how much each separates the job from the
 * training jobs: PCA of the standardized training metrics; the job's
 * squared distance in the principal components (each scaled by its
 * variance, Hotelling's T², each component's term shared by the metrics'
 * parts of the projection) and off them (the residual, per metric) is split over the
 * metrics; most separating first.
 */
export function pcaRanking(
  model: RefModel,
  job: JobFeatures,
  features?: ReadonlySet<string>,
): Separation[] {
  const z = standardize(model, features);
  if (z.metrics.length === 0) return [];
  const x = jobVector(z, job);
  const p = x.length;
  const contrib = new Array<number>(p).fill(0);
  if (z.rows.length >= 3 && p >= 2) {
    const pca = new PCA(z.rows, { center: false, scale: false });
    const vectors = pca.getEigenvectors();
    const values = pca.getEigenvalues();
    const residual = [...x];
    // Components with real variance; a floor keeps a tiny one from
    // turning noise into a huge score.
    for (let k = 0; k < values.length && k < vectors.columns; k++) {
      const lambda = values[k];
      if (!(lambda > 0.05)) continue;
      let t = 0;
      for (let j = 0; j < p; j++) t += x[j] * vectors.get(j, k);
      // The component's T² term, shared in proportion to each metric's
      // part |v x| of the projection t: every part >= 0, they add up, and
      // a metric where the job is at the median gets none.
      let parts = 0;
      for (let j = 0; j < p; j++) parts += Math.abs(x[j] * vectors.get(j, k));
      for (let j = 0; j < p; j++) {
        const v = vectors.get(j, k);
        if (parts > 0) {
          contrib[j] += (t * t / lambda) * Math.abs(x[j] * v) / parts;
        }
        residual[j] -= t * v;
      }
    }
    for (let j = 0; j < p; j++) contrib[j] += residual[j] ** 2;
  } else {
    for (let j = 0; j < p; j++) contrib[j] = x[j] ** 2;
  }
  const total = contrib.reduce((a, b) => a + Math.max(0, b), 0);
  return z.metrics.map((m, j) => ({
    feature: m,
    value: job.job[m] ?? z.center[j],
    median: z.center[j],
    z: x[j],
    contribution: contrib[j],
    share: total > 0 ? Math.max(0, contrib[j]) / total : 0,
  })).sort((a, b) => b.contribution - a.contribution);
}

/**
 * The robust and classical statistics a reference model keeps per feature,
 * and the score of a new value against them under each outlier method
 * (the same methods and limits as `epmt outliers` among jobs: stats.ts).
 */
import { type Method, METHODS, THRESHOLDS } from "../query/mod.ts";

/** The name of the multivariate method (multivariate.ts). */
export const MULTIVARIATE = "mahalanobis" as const;

/** The methods `--against` offers: the univariate ones and multivariate. */
export const BASELINE_METHODS = [...METHODS, MULTIVARIATE] as const;

/** One method of judging against a model. */
export type BaselineMethod = typeof BASELINE_METHODS[number];

/** One feature's statistics over the training jobs. */
export interface Summary {
  n: number;
  median: number;
  /** Median absolute deviation from the median (unscaled). */
  mad: number;
  q1: number;
  q3: number;
  mean: number;
  /** Population standard deviation (ddof 0). */
  std: number;
  min: number;
  max: number;
}

/** The q-quantile of sorted values, interpolated as numpy's default. */
function sortedQuantile(s: Float64Array, q: number): number {
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/**
 * The median absolute deviation from `med` of sorted values, without a
 * second sort: the deviations below the median grow leftwards and those
 * above grow rightwards, so merging the two runs from the median outwards
 * yields them in order.
 */
function sortedMad(s: Float64Array, med: number): number {
  const n = s.length;
  // The first index whose value is >= med: left run is [0, hi), right [hi, n).
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid] < med) lo = mid + 1;
    else hi = mid;
  }
  let l = lo - 1;
  let r = lo;
  const take = () => {
    const dl = l >= 0 ? med - s[l] : Infinity;
    const dr = r < n ? s[r] - med : Infinity;
    if (dl <= dr) {
      l--;
      return dl;
    }
    r++;
    return dr;
  };
  // The deviations in order; the median is the middle one (or two).
  const half = (n - 1) >> 1;
  let d = 0;
  for (let i = 0; i <= half; i++) d = take();
  return n % 2 ? d : (d + take()) / 2;
}

/**
 * The statistics of `xs` (at least one value): one sort and linear passes,
 * so the 100,000 processes of a job summarize in milliseconds. Same
 * definitions as query/stats.ts (numpy's quantiles, ddof 0).
 */
export function summarize(xs: ArrayLike<number>): Summary {
  const n = xs.length;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = xs[i];
  s.sort();
  const med = sortedQuantile(s, 0.5);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (s[i] - mean) ** 2;
  return {
    n,
    median: med,
    mad: sortedMad(s, med),
    q1: sortedQuantile(s, 0.25),
    q3: sortedQuantile(s, 0.75),
    mean,
    std: Math.sqrt(sq / n),
    min: s[0],
    max: s[n - 1],
  };
}

/**
 * Spreads below this share of the median count as this share (timings of
 * repeated runs vary by a few percent): a metric
 * that was constant in training (a process count, a fixed input size)
 * should flag a real change, not a difference of one in a million.
 */
export const NOISE_FLOOR = 0.05;

function floor(spread: number, s: Summary): number {
  return Math.max(spread, NOISE_FLOOR * Math.abs(s.median));
}

function ratio(num: number, den: number): number {
  if (den > 0) return num / den;
  return num === 0 ? 0 : num > 0 ? Infinity : -Infinity;
}

/**
 * The score of `x` against `s` under `method`: zscore (x − mean) / std;
 * modified-zscore 0.6745 (x − median) / MAD; iqr the distance beyond the
 * nearer quartile in IQRs (0 between them). Spreads are floored at
 * NOISE_FLOOR × |median|; ±Infinity when the spread is 0 (a metric that
 * was always 0) and x differs.
 */
export function scoreAgainst(method: Method, s: Summary, x: number): number {
  switch (method) {
    case "zscore":
      return ratio(x - s.mean, floor(s.std, s));
    case "modified-zscore":
      return 0.6745 * ratio(x - s.median, floor(s.mad, s));
    case "iqr": {
      const iqr = floor(s.q3 - s.q1, s);
      return x > s.q3
        ? ratio(x - s.q3, iqr)
        : x < s.q1
        ? ratio(x - s.q1, iqr)
        : 0;
    }
  }
}

/** |score| is beyond the method's limit. */
export function beyond(method: Method, score: number): boolean {
  return Math.abs(score) > THRESHOLDS[method];
}

/** x / median, the "how many times" people read (Infinity over a 0 median). */
export function ratioToMedian(s: Summary, x: number): number {
  if (x === s.median) return 1;
  return ratio(x, s.median);
}

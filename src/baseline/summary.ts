/**
 * The robust and classical statistics a reference model keeps per feature,
 * and the score of a new value against them under each outlier method
 * (the same methods and limits as `epmt outliers` among jobs: stats.ts).
 */
import {
  mean,
  median,
  type Method,
  quantile,
  stddev,
  THRESHOLDS,
} from "../query/stats.ts";

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

/** The statistics of `xs` (at least one value). */
export function summarize(xs: readonly number[]): Summary {
  const med = median(xs);
  return {
    n: xs.length,
    median: med,
    mad: median(xs.map((x) => Math.abs(x - med))),
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
    mean: mean(xs),
    std: stddev(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * Spreads below this share of the median count as this share: a metric
 * that was constant in training (a process count, a fixed input size)
 * should flag a real change, not a difference of one in a million.
 */
export const NOISE_FLOOR = 0.01;

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

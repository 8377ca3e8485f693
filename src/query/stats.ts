/**
 * Outlier tests over one feature of a group of comparable jobs: z-score,
 * modified z-score (median absolute deviation) and the 1.5 IQR fences.
 * Each returns, per value, a score and whether it is an outlier.
 */

/** The outlier methods `epmt outliers --method` offers. */
export const METHODS = ["zscore", "modified-zscore", "iqr"] as const;

/** One outlier method. */
export type Method = typeof METHODS[number];

/** The limit each method's score is compared with. */
export const THRESHOLDS: Record<Method, number> = {
  zscore: 3,
  "modified-zscore": 3.5,
  iqr: 1.5,
};

/** A value's standing under one method. */
export interface Score {
  /**
   * zscore: (x − mean) / standard deviation. modified-zscore:
   * 0.6745 (x − median) / MAD. iqr: how far beyond the nearer quartile, in
   * IQRs (negative below Q1), 0 between the quartiles. ±Infinity when every
   * other value is the same and this one differs.
   */
  score: number;
  /** |score| is above the method's threshold. */
  outlier: boolean;
}

/** The arithmetic mean. */
export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The population standard deviation (as numpy's std, ddof = 0). */
export function stddev(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/**
 * The q-quantile (0..1) with linear interpolation between the closest
 * ranks, as numpy's default.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.25); // 1.75
 */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** The median. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Divides, calling x/0 infinite (signed) and 0/0 zero: all values equal. */
function ratio(num: number, den: number): number {
  if (den > 0) return num / den;
  return num === 0 ? 0 : num > 0 ? Infinity : -Infinity;
}

/**
 * z-scores. With n values no |z| can exceed √(n − 1) (Shiffler 1988), so
 * with 10 values or fewer this method cannot pass 3: the other two are the
 * ones that work on small groups.
 */
export function zscores(xs: readonly number[]): Score[] {
  const m = mean(xs);
  const sd = stddev(xs);
  return xs.map((x) => mark(ratio(x - m, sd), THRESHOLDS.zscore));
}

/**
 * Modified z-scores (Iglewicz and Hoaglin): 0.6745 (x − median) / MAD.
 * When more than half the values are equal the MAD is 0; the mean absolute
 * deviation (scaled by 1.2533) stands in for it then, as is usual.
 */
export function modifiedZscores(xs: readonly number[]): Score[] {
  const med = median(xs);
  const dev = xs.map((x) => Math.abs(x - med));
  const mad = median(dev);
  return xs.map((x) => {
    const s = mad > 0
      ? 0.6745 * (x - med) / mad
      : ratio(x - med, 1.253314 * mean(dev));
    return mark(s, THRESHOLDS["modified-zscore"]);
  });
}

/**
 * Tukey's fences: a value below Q1 − 1.5 IQR or above Q3 + 1.5 IQR is an
 * outlier; the score is its distance beyond the nearer quartile in IQRs.
 */
export function iqrScores(xs: readonly number[]): Score[] {
  const q1 = quantile(xs, 0.25);
  const q3 = quantile(xs, 0.75);
  const iqr = q3 - q1;
  return xs.map((x) => {
    const s = x > q3 ? ratio(x - q3, iqr) : x < q1 ? ratio(x - q1, iqr) : 0;
    return mark(s, THRESHOLDS.iqr);
  });
}

/** The scores of `xs` under `method`. */
export function scores(method: Method, xs: readonly number[]): Score[] {
  switch (method) {
    case "zscore":
      return zscores(xs);
    case "modified-zscore":
      return modifiedZscores(xs);
    case "iqr":
      return iqrScores(xs);
  }
}

function mark(score: number, threshold: number): Score {
  return { score, outlier: Math.abs(score) > threshold };
}

import { assert, assertEquals } from "./assert.ts";
import {
  iqrScores,
  median,
  modifiedZscores,
  quantile,
  stddev,
  zscores,
} from "../src/query/stats.ts";

const flagged = (s: { outlier: boolean }[]) =>
  s.flatMap((x, i) => (x.outlier ? [i] : []));

Deno.test("quantiles interpolate like numpy", () => {
  assertEquals(quantile([1, 2, 3, 4], 0.25), 1.75);
  assertEquals(quantile([4, 1, 3, 2], 0.75), 3.25);
  assertEquals(median([5, 1, 3]), 3);
  assertEquals(median([1, 2, 3, 4]), 2.5);
  assertEquals(stddev([2, 4, 4, 4, 5, 5, 7, 9]), 2);
});

Deno.test("a planted outlier among 8 similar values", () => {
  const xs = [100, 102, 98, 101, 99, 103, 97, 100, 300];
  assertEquals(flagged(modifiedZscores(xs)), [8]);
  assertEquals(flagged(iqrScores(xs)), [8]);
  // With 9 values |z| cannot pass sqrt(9 - 1) = 2.83: zscore stays quiet.
  assertEquals(flagged(zscores(xs)), []);
  assert(zscores(xs)[8].score > 2.8 && zscores(xs)[8].score <= Math.sqrt(8));
  // Modified z: 0.6745 * (300 - 100) / MAD(=2).
  assertEquals(modifiedZscores(xs)[8].score.toFixed(2), "67.45");
  // IQR: Q1 = 99, Q3 = 102, (300 - 102) / 3 = 66.
  assertEquals(iqrScores(xs)[8].score, 66);
});

Deno.test("low outliers are negative scores", () => {
  const xs = [100, 102, 98, 101, 99, 103, 97, 100, 1];
  assertEquals(flagged(iqrScores(xs)), [8]);
  assert(iqrScores(xs)[8].score < 0);
  assert(modifiedZscores(xs)[8].score < -3.5);
});

Deno.test("identical values: nothing is an outlier", () => {
  const xs = Array(8).fill(42);
  for (const f of [zscores, modifiedZscores, iqrScores]) {
    assertEquals(flagged(f(xs)), []);
    assertEquals(f(xs).map((s) => s.score), Array(8).fill(0));
  }
});

Deno.test("one value differing from 8 equal ones is flagged (MAD = 0)", () => {
  const xs = [...Array(8).fill(10), 11];
  assertEquals(flagged(modifiedZscores(xs)), [8]);
  assertEquals(flagged(iqrScores(xs)), [8]);
  assertEquals(iqrScores(xs)[8].score, Infinity);
});

Deno.test("zscore works on larger groups", () => {
  const xs = [...Array.from({ length: 30 }, (_, i) => 100 + (i % 5)), 200];
  assertEquals(flagged(zscores(xs)), [30]);
});

/**
 * The statistics a reference model keeps are those of query/stats.ts (the
 * numpy definitions `epmt outliers` uses), computed with one sort: checked
 * on many random samples, with ties and even and odd sizes.
 */
import { assert } from "../assert.ts";
import { summarize } from "../../src/baseline/summary.ts";
import { mean, median, quantile, stddev } from "../../src/query/stats.ts";
import { seeded } from "../baseline_jobs.ts";

Deno.test("summarize agrees with query/stats.ts", () => {
  const rand = seeded(3);
  const close = (a: number, b: number) =>
    Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  for (let t = 0; t < 3000; t++) {
    const n = 1 + Math.floor(rand() * 15);
    const xs = Array.from(
      { length: n },
      () => Math.round(rand() * 10) * (rand() < 0.3 ? 1 : 1.5),
    );
    const s = summarize(xs);
    const med = median(xs);
    const want = {
      n,
      median: med,
      mad: median(xs.map((x) => Math.abs(x - med))),
      q1: quantile(xs, 0.25),
      q3: quantile(xs, 0.75),
      mean: mean(xs),
      std: stddev(xs),
      min: Math.min(...xs),
      max: Math.max(...xs),
    };
    for (const [k, v] of Object.entries(want)) {
      const got = s[k as keyof typeof s];
      assert(close(got, v), `${k} of ${xs}: ${got}, want ${v}`);
    }
  }
});

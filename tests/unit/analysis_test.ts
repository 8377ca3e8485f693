/**
 * The analysis computations on their own, on hand-made process tables with
 * a known answer: union of intervals, memory held at once, the critical
 * path, op walls, verdict rules at their thresholds.
 */
import { assert, assertEquals } from "../assert.ts";
import {
  criticalPath,
  type Procs,
  procsFromValues,
  unionLength,
  usageOf,
  verdictOf,
} from "../../src/analysis/mod.ts";
import { peakConcurrent } from "../../src/analysis/intervals.ts";
import { argsort } from "../../src/analysis/usage.ts";

/** [depth, pid, start, end, cpu, blkio µs] in depth-first order. */
type Spec = [number, number, number, number, number, number?];

function procs(spec: Spec[]): Procs {
  const last: number[] = [];
  return procsFromValues(spec.map(([depth, pid, start, end, cpu, blkio], i) => {
    last[depth] = i;
    const parent = depth === 0 ? null : last[depth - 1];
    return [
      i,
      parent,
      pid,
      `p${pid}`,
      "",
      cpu,
      cpu,
      0,
      0,
      depth,
      0,
      "vm",
      start,
      end,
      null,
      100,
      blkio ?? 0,
      0,
      0,
      0,
    ];
  }));
}

Deno.test("unionLength: overlaps count once, gaps do not count", () => {
  const cases: [number[], number[], number][] = [
    [[], [], 0],
    [[0], [10], 10],
    [[0, 5], [10, 15], 15],
    [[0, 2], [10, 4], 10], // nested
    [[0, 10], [10, 20], 20], // touching
    [[0, 20], [5, 30], 15], // gap
    [[5, 0, 1], [6, 3, 2], 4], // unsorted, one inside another
    [[0, 4], [10, 4], 10], // an empty interval
  ];
  for (const [s, e, want] of cases) {
    assertEquals(unionLength(s, e, s.map((_, i) => i)), want, `${s} ${e}`);
  }
});

Deno.test("peakConcurrent: the most held at once; touching does not overlap", () => {
  const s = [0, 5, 10, 10];
  const e = [10, 20, 30, 12];
  const w = [1, 2, 4, 8];
  assertEquals(peakConcurrent(s, e, w, [0, 1, 2, 3]), 14);
  assertEquals(peakConcurrent(s, e, w, [0, 1]), 3);
  assertEquals(peakConcurrent(s, e, w, [0, 2]), 4);
});

Deno.test("usageOf: memory held at once agrees with the plain sweep, per host", () => {
  // Random processes on two hosts; the group is every other one.
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const rows = [];
  for (let i = 0; i < 400; i++) {
    const start = rnd(1000);
    rows.push([
      i,
      null,
      1000 + i,
      "p",
      "",
      0,
      0,
      0,
      0,
      0,
      0,
      i % 3 ? "a" : "b",
      start,
      start + rnd(200),
      null,
      1 + rnd(50),
      0,
      0,
      0,
      0,
    ]);
  }
  const p = procsFromValues(rows);
  for (
    const members of [
      p.tree.map((_, i) => i),
      p.tree.map((_, i) => i).filter((i) => i % 2),
    ]
  ) {
    let want = 0;
    for (const host of ["a", "b"]) {
      const on = members.filter((m) => p.host[m] === host);
      want = Math.max(want, peakConcurrent(p.start, p.end, p.rss, on));
    }
    assertEquals(usageOf(p, members).memory_peak_kib, want);
  }
});

Deno.test("criticalPath: sequential children in turn, the last of parallel ones", () => {
  const p = procs([
    [0, 1, 0, 100, 0],
    [1, 2, 0, 10, 0], // first in sequence
    [1, 3, 10, 60, 0], // parallel pair: 3 ends last
    [2, 5, 11, 59, 0],
    [1, 4, 10, 40, 0],
    [1, 6, 61, 100, 0], // last
    [1, 7, 0, 5, 0], // overlaps 2 and ends before it: off the path
  ]);
  const steps = criticalPath(p, 100);
  assertEquals(steps.map((s) => [s.pid, s.level, s.self_us]), [
    [1, 0, 1],
    [2, 1, 10],
    [3, 1, 2],
    [5, 2, 48],
    [6, 1, 39],
  ]);
  // Roots are the job's children: two roots in sequence are both on it.
  const two = procs([[0, 1, 0, 10, 0], [0, 2, 10, 20, 0]]);
  assertEquals(criticalPath(two, 20).map((s) => s.pid), [1, 2]);
  // A chain deeper than the call stack allows.
  const deep: Spec[] = [];
  for (let d = 0; d < 20_000; d++) deep.push([d, d + 1, d, 40_000 - d, 0]);
  assertEquals(criticalPath(procs(deep), 40_000).length, 20_000);
});

Deno.test("verdicts: thresholds hold at their edges", () => {
  const u = (cpu: number, blkio: number) =>
    usageOf(procs([[0, 1, 0, 100, cpu, blkio]]), [0]);
  const job = { cores: null, memory_per_node_bytes: null, job: true };
  assertEquals(verdictOf(u(75, 0), job).kind, "cpu-bound");
  assertEquals(verdictOf(u(74, 0), job).kind, "mixed");
  assertEquals(verdictOf(u(20, 25), job).kind, "io-wait");
  assertEquals(verdictOf(u(30, 25), job).kind, "mixed");
  assertEquals(verdictOf(u(9, 0), job).kind, "idle");
  const eight = { ...job, cores: 8 };
  const under = verdictOf(u(100, 0), eight);
  assertEquals([under.kind, under.also], ["underused", ["cpu-bound"]]);
  assertEquals(verdictOf(u(1, 0), eight).kind, "idle");
  const one = { ...job, cores: 1 };
  assertEquals(verdictOf(u(100, 0), one).kind, "cpu-bound");
  const mem = { ...job, memory_per_node_bytes: 125 * 1024 };
  const heavy = verdictOf(u(50, 0), mem);
  assertEquals([heavy.kind, heavy.numbers.memory_efficiency], [
    "memory-heavy",
    0.8,
  ]);
  assert(heavy.reason.includes("80%"), heavy.reason);
});

Deno.test("argsort: the order of a stable sort, packed or not", () => {
  const stable = (keys: number[]) =>
    keys.map((_, i) => i).sort((a, b) => keys[a] - keys[b]);
  const cases = [
    [30, 10, 20, 10],
    [5, 5, 5],
    [1795659616915099, 1795659616915000, 1795659616915099, 0], // wide range
    [2.5, 1.25, 2.5, -1], // fractions: the comparator
    [-(2 ** 52), 2 ** 52, 0, 7], // too wide to pack
    [],
  ];
  for (const keys of cases) {
    assertEquals([...argsort(keys, keys.length)], stable(keys), `${keys}`);
  }
});

Deno.test("usageOf: a group's wall is the union of its intervals, whatever the group", () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let t = 0; t < 300; t++) {
    const n = 1 + rand(40);
    const spec: Spec[] = [];
    for (let i = 0; i < n; i++) {
      const start = rand(100);
      // Some empty or inverted intervals, some touching ones.
      const end = rand(5) === 0 ? start - rand(3) : start + rand(60);
      spec.push([
        i === 0 ? 0 : 1 + rand(2) * (i > 1 ? 1 : 0),
        i,
        start,
        end,
        1,
      ]);
    }
    const p = procs(spec);
    const members = Int32Array.from(
      [...Array(n).keys()].filter(() => t % 3 === 0 || rand(2) === 0),
    );
    assertEquals(
      usageOf(p, members).wall_us,
      unionLength(p.start, p.end, members),
      `case ${t}`,
    );
  }
});

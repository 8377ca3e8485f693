import { assertEquals } from "./assert.ts";
import {
  buildTree,
  treeJson,
  treeLines,
  type TreeRow,
} from "../src/query/tree.ts";

/** Rows in depth-first idx order from [depth, exename, args, cpu] tuples. */
function rows(spec: [number, string, string, number][]): TreeRow[] {
  const out: TreeRow[] = [];
  const last: number[] = [];
  spec.forEach(([depth, exename, args, cpu], idx) => {
    last[depth] = idx;
    const parent = depth === 0 ? null : last[depth - 1];
    out.push([idx, parent, 100 + idx, exename, args, cpu, 0, 0, 0, depth]);
  });
  // Inclusive cpu from the children up, as submit computes it.
  for (let i = out.length - 1; i >= 0; i--) {
    out[i][6]! += out[i][5]!;
    const p = out[i][1];
    if (p !== null) out[p][6]! += out[i][6]!;
  }
  return out;
}

const text = (r: TreeRow[], opts = {}) =>
  treeLines(buildTree(r, opts), opts).map((l) => l[0]);

Deno.test("tree: identical siblings collapse, with their subtrees", () => {
  const spec: [number, string, string, number][] = [[0, "bash", "job.sh", 10]];
  for (let i = 0; i < 2000; i++) spec.push([1, "true", "", 1]);
  for (let i = 0; i < 3; i++) {
    spec.push([1, "sh", "-c a|b", 2], [2, "a", "", 1], [2, "b", "", 1]);
  }
  spec.push([1, "sleep", "1", 0]);
  const r = rows(spec);
  assertEquals(text(r), [
    "bash job.sh",
    "├─ true ×2,000",
    "├─ sh -c a|b ×3",
    "│  ├─ a ×3",
    "│  └─ b ×3",
    "└─ sleep 1",
  ]);
  const lines = treeLines(buildTree(r));
  // Collapsed lines sum cpu over their processes; pid is the first one's.
  assertEquals(lines[1].slice(1), ["101…", "2.00 ms", "2.00 ms", "0"]);
  assertEquals(lines[0][3], "2.02 ms");
  assertEquals(lines[5][1], String(100 + 2010));
});

Deno.test("tree: siblings with different subtrees or exits stay apart", () => {
  const r = rows([
    [0, "bash", "", 0],
    [1, "sh", "-c x", 0],
    [2, "x", "", 0],
    [1, "sh", "-c x", 0],
    [1, "sh", "-c x", 0],
  ]);
  r[4][7] = 1; // exitcode
  assertEquals(text(r), [
    "bash",
    "├─ sh -c x",
    "│  └─ x",
    "├─ sh -c x",
    "└─ sh -c x",
  ]);
});

Deno.test("tree: --width sums up the rest, --depth counts what is below", () => {
  const spec: [number, string, string, number][] = [[0, "make", "", 0]];
  for (let i = 0; i < 10; i++) {
    spec.push([1, "cc", `f${i}.c`, 1], [2, "as", "", 1]);
  }
  spec.push([1, "ld", "", 1]);
  const r = rows(spec);
  assertEquals(text(r, { width: 3, similar: 0 }), [
    "make",
    "├─ cc f0.c",
    "│  └─ as",
    "├─ cc f1.c",
    "│  └─ as",
    "├─ cc f2.c",
    "│  └─ as",
    "└─ … 8 more (cc ×7, ld ×1, +7 below)",
  ]);
  // By default the ten cc differ only in args: one line.
  assertEquals(text(r), [
    "make",
    "├─ cc f0.c … ×10 (10 variants)",
    "│  └─ as ×10",
    "└─ ld",
  ]);
  // Depth 1 only: the rows a depth-limited query returns.
  const shallow = r.filter((x) => x[9]! <= 1);
  assertEquals(
    text(shallow, { totalProcs: r.length, width: 0, similar: 0 }).slice(0, 3),
    [
      "make",
      "├─ cc f0.c (+1 below)",
      "├─ cc f1.c (+1 below)",
    ],
  );
  const json = treeJson(
    buildTree(shallow, { totalProcs: r.length, similar: 0 }),
  ) as {
    hidden_below?: number;
    children: { hidden_below?: number }[];
  }[];
  assertEquals(json[0].hidden_below, undefined);
  assertEquals(json[0].children[0].hidden_below, 1);
});

Deno.test("tree: several roots, deep chains, missing parents", () => {
  const spec: [number, string, string, number][] = [];
  for (let d = 0; d < 5000; d++) spec.push([d, "sh", "", 0]);
  const r = rows(spec);
  const lines = text(r);
  assertEquals(lines.length, 5000);
  assertEquals(lines[2], "   └─ sh");
  const orphan = rows([[0, "a", "", 0], [0, "b", "", 0]]);
  orphan[1][1] = 99; // parent not in the job: a root
  assertEquals(text(orphan), ["a", "b"]);
});

Deno.test("tree: siblings differing only in args merge from 10 kinds on", () => {
  const spec: [number, string, string, number][] = [[0, "bash", "job.sh", 0]];
  for (let s = 0; s < 12; s++) {
    spec.push([1, "bash", `step.sh ${s}`, 1]);
    for (let i = 0; i < 20; i++) spec.push([2, "cp", `in_${i} out/${s}/`, 1]);
  }
  spec.push([1, "sleep", "1", 1], [1, "sleep", "2", 1]);
  const r = rows(spec);
  // One step fails: it keeps a line of its own.
  r[1 + 3 * 21][7] = 1;
  assertEquals(text(r), [
    "bash job.sh",
    "├─ bash step.sh 0 … ×11 (11 variants)",
    "│  └─ cp in_0 out/0/ … ×220 (220 variants)",
    "├─ bash step.sh 3",
    "│  └─ cp in_0 out/3/ … ×20 (20 variants)",
    "├─ sleep 1",
    "└─ sleep 2",
  ]);
  assertEquals(text(r, { similar: 0 }).length, 1 + 12 * 21 + 2);
  const json = treeJson(buildTree(r)) as {
    children: Record<string, unknown>[];
  }[];
  assertEquals(json[0].children[0].variants, 11);
  assertEquals(json[0].children[0].count, 11);
});

Deno.test("tree: an exec chain is one process, its images' children under it", () => {
  // pid 7 runs bash, which forks true (8) and execs sh, which forks true
  // (9) and execs sleep; pid 20 is a new process that reuses no chain.
  const row = (
    idx: number,
    parent: number | null,
    pid: number,
    exe: string,
    args: string,
    cpu: number,
    incl: number,
    generation: number,
  ): TreeRow => [
    idx,
    parent,
    pid,
    exe,
    args,
    cpu,
    incl,
    0,
    0,
    parent === null ? 0 : 1,
    generation,
    "vm",
  ];
  const chain = [
    row(0, null, 7, "bash", "-c x", 1, 2, 0),
    row(1, 0, 8, "true", "", 1, 1, 0),
    row(2, null, 7, "sh", "-c y", 1, 2, 1),
    row(3, 2, 9, "true", "", 1, 1, 0),
    row(4, null, 7, "sleep", "0", 1, 1, 2),
    row(5, null, 20, "date", "", 1, 1, 1),
  ];
  const tree = buildTree(chain);
  assertEquals(treeLines(tree).map((l) => l.slice(0, 4)), [
    ["bash ⇒ sh ⇒ sleep 0", "7", "3 µs", "5 µs"],
    ["└─ true ×2", "8…", "2 µs", "2 µs"],
    ["date", "20", "1 µs", "1 µs"],
  ]);
  // With a depth limit the folded images are not counted as hidden.
  const top = chain.filter((r) => r[9] === 0);
  assertEquals(
    treeLines(buildTree(top, { totalProcs: 6 })).map((l) => l[0]),
    ["bash ⇒ sh ⇒ sleep 0 (+2 below)", "date"],
  );
});

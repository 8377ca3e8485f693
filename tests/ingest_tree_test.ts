import { assertEquals } from "./assert.ts";
import { computeTree } from "../src/ingest/tree.ts";

interface P {
  host?: number;
  pid: number;
  ppid: number;
  start: number;
  end: number;
  cpu?: number;
}

/** Parent pid-labels by pid-label of each process, in input order. */
function tree(ps: P[]) {
  const t = computeTree({
    hostIds: Int32Array.from(ps, (p) => p.host ?? 0),
    pid: Float64Array.from(ps, (p) => p.pid),
    ppid: Float64Array.from(ps, (p) => p.ppid),
    start: Float64Array.from(ps, (p) => p.start),
    end: Float64Array.from(ps, (p) => p.end),
    cpu: Float64Array.from(ps, (p) => p.cpu ?? 0),
  });
  const rank = new Map<number, number>();
  t.order.forEach((row, i) => rank.set(row, i));
  return ps.map((_, row) => {
    const i = rank.get(row)!;
    const p = t.parent[i];
    return {
      parent: p < 0 ? null : t.order[p],
      depth: t.depth[i],
      incl: t.inclusiveCpu[i],
    };
  });
}

Deno.test("tree: parents by ppid, depth, inclusive cpu", () => {
  const r = tree([
    { pid: 10, ppid: 1, start: 0, end: 100, cpu: 1 },
    { pid: 11, ppid: 10, start: 5, end: 50, cpu: 2 },
    { pid: 12, ppid: 11, start: 6, end: 40, cpu: 4 },
    { pid: 13, ppid: 10, start: 60, end: 70, cpu: 8 },
  ]);
  assertEquals(r.map((x) => x.parent), [null, 0, 1, 0]);
  assertEquals(r.map((x) => x.depth), [0, 1, 2, 1]);
  assertEquals(r.map((x) => x.incl), [15, 6, 4, 8]);
});

Deno.test("tree: a reused pid picks the candidate alive at the child's start", () => {
  const r = tree([
    { pid: 20, ppid: 1, start: 0, end: 10 }, // first life of pid 20
    { pid: 20, ppid: 1, start: 30, end: 50 }, // pid 20 reused
    { pid: 21, ppid: 20, start: 5, end: 6 }, // child of the first
    { pid: 22, ppid: 20, start: 40, end: 45 }, // child of the second
    { pid: 23, ppid: 20, start: 20, end: 25 }, // neither alive: latest before
  ]);
  assertEquals(r.map((x) => x.parent), [null, null, 0, 1, 0]);
});

Deno.test("tree: exec generations and hosts", () => {
  const r = tree([
    { pid: 30, ppid: 1, start: 0, end: 10 }, // bash, then exec
    { pid: 30, ppid: 1, start: 10, end: 20 }, // gen 1 (same pid, same ppid)
    { pid: 31, ppid: 30, start: 15, end: 16 }, // forked by gen 1
    { host: 1, pid: 31, ppid: 30, start: 15, end: 16 }, // other host: root
  ]);
  assertEquals(r.map((x) => x.parent), [null, null, 1, null]);
  assertEquals(r.map((x) => x.depth), [0, 0, 1, 0]);
});

Deno.test("tree: a parent that exec'd after its children started", () => {
  // bash -c 'ls; cat x; sh -c true': bash (5809) execs sh as its last
  // command; only sh was recorded, and it started after ls and cat.
  const r = tree([
    { pid: 5810, ppid: 5809, start: 10, end: 11, cpu: 1 }, // ls
    { pid: 5811, ppid: 5809, start: 12, end: 13, cpu: 2 }, // cat
    { pid: 5809, ppid: 5643, start: 14, end: 15, cpu: 4 }, // sh
  ]);
  assertEquals(r.map((x) => x.parent), [2, 2, null]);
  assertEquals(r.map((x) => x.depth), [1, 1, 0]);
  assertEquals(r.map((x) => x.incl), [1, 2, 7]);
});

Deno.test("tree: numbered depth-first, children in start order", () => {
  const t = computeTree({
    hostIds: new Int32Array(5),
    pid: Float64Array.from([1, 2, 3, 4, 5]),
    ppid: Float64Array.from([0, 1, 1, 2, 0]),
    start: Float64Array.from([0, 1, 5, 2, 3]),
    end: Float64Array.from([9, 9, 9, 9, 9]),
    cpu: new Float64Array(5),
  });
  // 1 { 2 { 4 }, 3 }, 5
  assertEquals([...t.order], [0, 1, 3, 2, 4]);
  assertEquals([...t.parent], [-1, 0, 1, 0, -1]);
  assertEquals([...t.depth], [0, 1, 2, 1, 0]);
});

Deno.test("tree: no cycles even with equal start times", () => {
  const r = tree([
    { pid: 40, ppid: 41, start: 5, end: 9, cpu: 1 },
    { pid: 41, ppid: 40, start: 5, end: 9, cpu: 1 },
  ]);
  assertEquals(r.map((x) => x.parent), [null, 0]);
  assertEquals(r.map((x) => x.incl), [2, 1]);
});

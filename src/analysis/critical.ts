/**
 * The critical path of a job: the processes its wall time waited on,
 * walking down from the root. Under each process on the path, its children
 * that ran one after another are all on the path in turn; among children
 * that ran side by side only the one that ended last is (the straggler the
 * parent waited for, e.g. the slowest MPI rank).
 */
import type { Procs } from "./procs.ts";

/** One process on the critical path. Times in µs. */
export interface Step {
  /** Position in the job's processes (idx order). */
  pos: number;
  idx: number;
  pid: number;
  exename: string;
  args: string;
  host: string;
  /** Nesting on the path: 0 for a root. */
  level: number;
  start_us: number;
  end_us: number;
  wall_us: number;
  /** Of its wall, the time none of its children on the path ran. */
  self_us: number;
  /** wall / the job's wall. */
  share: number | null;
}

/**
 * The steps of the critical path in the order they ran (a parent before
 * its children). Roots are treated as the children of the job itself.
 */
export function criticalPath(procs: Procs, jobWallUs: number): Step[] {
  const { start, end, parent, subtreeEnd, tree } = procs;
  const roots: number[] = [];
  for (let i = 0; i < procs.n; i++) if (parent[i] < 0) roots.push(i);
  const steps: Step[] = [];
  // Explicit stack: trees can be deeper than the call stack allows.
  const stack: { pos: number; level: number }[] = [];
  for (const r of onPath(roots, start, end).reverse()) {
    stack.push({ pos: r, level: 0 });
  }
  while (stack.length) {
    const { pos, level } = stack.pop()!;
    const kids: number[] = [];
    for (let c = pos + 1; c < subtreeEnd[pos]; c = subtreeEnd[c]) kids.push(c);
    const chosen = onPath(kids, start, end);
    let busy = 0;
    for (const c of chosen) {
      busy += Math.max(
        0,
        Math.min(end[c], end[pos]) - Math.max(start[c], start[pos]),
      );
    }
    const wall = Math.max(0, end[pos] - start[pos]);
    const row = tree[pos];
    steps.push({
      pos,
      idx: row[0],
      pid: row[2],
      exename: row[3] ?? "",
      args: row[4] ?? "",
      host: procs.host[pos],
      level,
      start_us: start[pos],
      end_us: end[pos],
      wall_us: wall,
      self_us: Math.max(0, wall - busy),
      share: jobWallUs > 0 ? wall / jobWallUs : null,
    });
    for (let j = chosen.length - 1; j >= 0; j--) {
      stack.push({ pos: chosen[j], level: level + 1 });
    }
  }
  return steps;
}

/**
 * Of sibling processes, those on the path, in time order: the one that
 * ended last, then the one that ended last before it started, and so on.
 */
function onPath(
  siblings: number[],
  start: Float64Array,
  end: Float64Array,
): number[] {
  const byEnd = siblings.slice().sort((a, b) => end[b] - end[a] || a - b);
  const chosen: number[] = [];
  let t = Infinity;
  for (const c of byEnd) {
    if (end[c] <= t) {
      chosen.push(c);
      t = start[c];
    }
  }
  return chosen.reverse();
}

/**
 * The process tree of a job. A process's parent is the job's process on
 * the same host whose pid is its ppid; pids are reused and exec keeps the
 * pid, so among several such candidates the one alive when the child
 * started wins (else the latest one started before it). A process whose
 * parent is not in the job is a root.
 */

/** Per-process inputs, indexed by row. */
export interface TreeInput {
  hostIds: Int32Array;
  pid: Float64Array;
  ppid: Float64Array;
  /** Start and end in µs. */
  start: Float64Array;
  end: Float64Array;
  /** Own cpu time (µs), 0 when unknown. */
  cpu: Float64Array;
}

/** The tree, indexed by rank (position in start order). */
export interface Tree {
  /** Row of the process at each rank: processes sorted by start time. */
  order: Uint32Array;
  /** Rank of the parent, -1 for a root; always less than the child's. */
  parent: Int32Array;
  /** 0 for roots. */
  depth: Int32Array;
  /** Own cpu time plus that of all descendants (µs). */
  inclusiveCpu: Float64Array;
}

/**
 * Sorts the processes by start time (ties by host, pid, then row) and links
 * each to its parent. A parent always ranks before its child, so the tree
 * has no cycles and depth and inclusive cpu take one pass each.
 */
export function computeTree(input: TreeInput): Tree {
  const { hostIds, pid, ppid, start, end, cpu } = input;
  const n = pid.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) =>
    (start[a] - start[b]) || (hostIds[a] - hostIds[b]) || (pid[a] - pid[b]) ||
    (a - b)
  );

  // (host, pid) -> ranks holding that pid, ascending.
  const single = new Map<number, number>();
  const multi = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = order[i];
    const key = hostIds[r] * 4294967296 + pid[r];
    const first = single.get(key);
    if (first === undefined) single.set(key, i);
    else {
      const list = multi.get(key);
      if (list) list.push(i);
      else multi.set(key, [first, i]);
    }
  }

  const parent = new Int32Array(n).fill(-1);
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = order[i];
    const key = hostIds[r] * 4294967296 + ppid[r];
    const list = multi.get(key);
    let p = -1;
    if (list) {
      p = choose(list, i, start[r], order, end);
    } else {
      const only = single.get(key);
      if (only !== undefined && only < i) p = only;
    }
    parent[i] = p;
    depth[i] = p < 0 ? 0 : depth[p] + 1;
  }

  const inclusiveCpu = new Float64Array(n);
  for (let i = 0; i < n; i++) inclusiveCpu[i] = cpu[order[i]];
  for (let i = n - 1; i > 0; i--) {
    const p = parent[i];
    if (p >= 0) inclusiveCpu[p] += inclusiveCpu[i];
  }
  return { order, parent, depth, inclusiveCpu };
}

/** The latest candidate ranked before `child` alive at `t`, else the latest. */
function choose(
  ranks: number[],
  child: number,
  t: number,
  order: Uint32Array,
  end: Float64Array,
): number {
  let latest = -1;
  for (let k = ranks.length - 1; k >= 0; k--) {
    const c = ranks[k];
    if (c >= child) continue;
    if (latest < 0) latest = c;
    if (end[order[c]] >= t) return c;
  }
  return latest;
}

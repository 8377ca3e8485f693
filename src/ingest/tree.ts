/**
 * The process tree of a job. A process's parent is the job's process on
 * the same host whose pid is its ppid. Pids are reused and exec keeps the
 * pid, so among several such candidates the one alive when the child
 * started wins, else the latest one started before it, else the first one
 * started after it (the parent exec'd: `bash -c 'ls; sh -c x'` runs sh in
 * bash's process, and the collector may only have recorded sh). A process
 * whose parent is not in the job is a root.
 *
 * The processes are then numbered depth-first: roots in start order, each
 * followed by its descendants, children in start order. A parent's number
 * is below its children's and a subtree is one contiguous range.
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

/** The tree, indexed by a process's number (depth-first position). */
export interface Tree {
  /** Row of the process with each number. */
  order: Uint32Array;
  /** Number of the parent, -1 for a root; always less than the child's. */
  parent: Int32Array;
  /** 0 for roots. */
  depth: Int32Array;
  /** Own cpu time plus that of all descendants (µs). */
  inclusiveCpu: Float64Array;
}

/** Links each process to its parent and numbers them depth-first. */
export function computeTree(input: TreeInput): Tree {
  const { hostIds, pid, start, cpu } = input;
  const n = pid.length;
  // Rank: position in start order (ties by host, pid, row).
  const byStart = new Uint32Array(n);
  for (let i = 0; i < n; i++) byStart[i] = i;
  byStart.sort((a, b) =>
    (start[a] - start[b]) || (hostIds[a] - hostIds[b]) || (pid[a] - pid[b]) ||
    (a - b)
  );
  const parentRank = linkParents(input, byStart);
  breakCycles(parentRank);

  // Children of each rank, in start order (compressed rows).
  const firstChild = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    if (parentRank[i] >= 0) firstChild[parentRank[i] + 1]++;
  }
  for (let i = 0; i < n; i++) firstChild[i + 1] += firstChild[i];
  const children = new Int32Array(firstChild[n]);
  const fill = firstChild.slice(0, n);
  for (let i = 0; i < n; i++) {
    const p = parentRank[i];
    if (p >= 0) children[fill[p]++] = i;
  }

  // Depth-first numbering with an explicit stack (trees can be deep).
  const order = new Uint32Array(n);
  const parent = new Int32Array(n);
  const depth = new Int32Array(n);
  const numberOf = new Int32Array(n);
  const stack = new Int32Array(n);
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (parentRank[root] >= 0) continue;
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const r = stack[--top];
      const k = next++;
      numberOf[r] = k;
      order[k] = byStart[r];
      const p = parentRank[r];
      parent[k] = p < 0 ? -1 : numberOf[p];
      depth[k] = p < 0 ? 0 : depth[numberOf[p]] + 1;
      // Pushed last-first so the earliest child is numbered first.
      for (let c = firstChild[r + 1] - 1; c >= firstChild[r]; c--) {
        stack[top++] = children[c];
      }
    }
  }

  const inclusiveCpu = new Float64Array(n);
  for (let k = 0; k < n; k++) inclusiveCpu[k] = cpu[order[k]];
  for (let k = n - 1; k > 0; k--) {
    const p = parent[k];
    if (p >= 0) inclusiveCpu[p] += inclusiveCpu[k];
  }
  return { order, parent, depth, inclusiveCpu };
}

/** The parent of each rank as a rank (-1: none in the job). */
function linkParents(input: TreeInput, byStart: Uint32Array): Int32Array {
  const { hostIds, pid, ppid, start, end } = input;
  const n = byStart.length;
  // (host, pid) -> ranks holding that pid, ascending.
  const single = new Map<number, number>();
  const multi = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = byStart[i];
    const key = hostIds[r] * 4294967296 + pid[r];
    const first = single.get(key);
    if (first === undefined) single.set(key, i);
    else {
      const list = multi.get(key);
      if (list) list.push(i);
      else multi.set(key, [first, i]);
    }
  }
  const parentRank = new Int32Array(n).fill(-1);
  const one = [0];
  for (let i = 0; i < n; i++) {
    const r = byStart[i];
    const key = hostIds[r] * 4294967296 + ppid[r];
    let list = multi.get(key);
    if (!list) {
      const only = single.get(key);
      if (only === undefined) continue;
      one[0] = only;
      list = one;
    }
    const t = start[r];
    let alive = -1, before = -1, after = -1;
    for (let k = list.length - 1; k >= 0; k--) {
      const c = list[k];
      if (c === i) continue;
      if (c < i) {
        if (before < 0) before = c;
        if (end[byStart[c]] >= t) {
          alive = c;
          break;
        }
      } else {
        after = c;
      }
    }
    parentRank[i] = alive >= 0 ? alive : before >= 0 ? before : after;
  }
  return parentRank;
}

/**
 * Makes a process a root where following parents would loop (possible only
 * through the exec rule with inconsistent input).
 */
function breakCycles(parent: Int32Array): void {
  const n = parent.length;
  // 0 = unvisited, 1 = on the current path, 2 = done.
  const state = new Uint8Array(n);
  const path = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    if (state[s]) continue;
    let len = 0;
    let v = s;
    while (v >= 0 && state[v] === 0) {
      state[v] = 1;
      path[len++] = v;
      v = parent[v];
    }
    if (v >= 0 && state[v] === 1) parent[v] = -1; // v closes a loop: cut it
    for (let k = 0; k < len; k++) state[path[k]] = 2;
  }
}

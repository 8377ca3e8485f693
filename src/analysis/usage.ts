/**
 * What a group of processes (a whole job, one op, one step) used, with
 * overlapping processes counted once for wall time, and the figures the
 * verdicts rest on: how much of their working processes' lifetime was
 * spent on a CPU, in disk I/O, in a run queue, and how much of the
 * group's top processes' lifetime went waiting for children outside it.
 */
import { unionLength } from "./intervals.ts";
import type { Procs } from "./procs.ts";

/** The usage of a group of processes. Times in µs. */
export interface Usage {
  procs: number;
  /** Union of the processes' [start, end) intervals. */
  wall_us: number;
  start_us: number | null;
  end_us: number | null;
  cpu_us: number;
  blkio_us: number;
  /** Time runnable but waiting for a CPU (schedstat time_waiting). */
  time_waiting_us: number;
  read_bytes: number;
  write_bytes: number;
  /** Largest rssmax of one process, KiB. */
  rssmax_peak_kib: number;
  /**
   * Largest sum of rssmax of processes alive together on one host, KiB:
   * an upper bound of the memory the group held at once.
   */
  memory_peak_kib: number;
  /**
   * Lifetime of the working processes (those without children in the
   * group), less the time they waited on children outside it.
   */
  work_us: number;
  /** Lifetime of the top processes (parent not in the group). */
  top_us: number;
  /** Of top_us, the time a child outside the group was running. */
  child_wait_us: number;
}

/**
 * The usage of the processes at `members` (positions). `scratch` is a
 * zeroed Uint8Array(procs.n), left zeroed again (saves allocating one per
 * group on big jobs).
 */
export function usageOf(
  procs: Procs,
  members: ArrayLike<number>,
  scratch: Uint8Array = new Uint8Array(procs.n),
): Usage {
  const k = members.length;
  const { start, end, parent, subtreeEnd } = procs;
  const IN = 1;
  const HAS_KID_IN = 2;
  for (let j = 0; j < k; j++) scratch[members[j]] = IN;
  for (let j = 0; j < k; j++) {
    const par = parent[members[j]];
    if (par >= 0 && scratch[par] & IN) scratch[par] |= HAS_KID_IN;
  }
  let cpu = 0, blkio = 0, runq = 0, rd = 0, wr = 0, rss = 0;
  let work = 0, top = 0, childWait = 0;
  let first = Infinity, last = -Infinity;
  for (let j = 0; j < k; j++) {
    const m = members[j];
    cpu += procs.cpu[m];
    blkio += procs.blkio[m];
    runq += procs.runq[m];
    rd += procs.readBytes[m];
    wr += procs.writeBytes[m];
    if (procs.rss[m] > rss) rss = procs.rss[m];
    if (start[m] < first) first = start[m];
    if (end[m] > last) last = end[m];
    const life = Math.max(0, end[m] - start[m]);
    // Time a child outside the group ran: the first child is at m + 1,
    // each next one where the previous one's subtree ends.
    let outside: number[] | undefined;
    for (let c = m + 1; c < subtreeEnd[m]; c = subtreeEnd[c]) {
      if (!(scratch[c] & IN)) (outside ??= []).push(c);
    }
    let waited = 0;
    if (outside) {
      const s = outside.map((c) => Math.max(start[c], start[m]));
      const e = outside.map((c) => Math.min(end[c], end[m]));
      waited = unionLength(s, e, outside.map((_, i) => i));
    }
    // A working process (no child in the group) works except while it
    // waits on a child outside the group: that is not the group's work.
    if (!(scratch[m] & HAS_KID_IN)) work += life - waited;
    const par = parent[m];
    if (par >= 0 && scratch[par] & IN) continue;
    top += life;
    childWait += waited;
  }
  const { memory, wall } = sweep(procs, scratch, IN);
  for (let j = 0; j < k; j++) scratch[members[j]] = 0;
  return {
    procs: k,
    wall_us: wall,
    start_us: k ? first : null,
    end_us: k ? last : null,
    cpu_us: cpu,
    blkio_us: blkio,
    time_waiting_us: runq,
    read_bytes: rd,
    write_bytes: wr,
    rssmax_peak_kib: rss,
    memory_peak_kib: memory,
    work_us: work,
    top_us: top,
    child_wait_us: childWait,
  };
}

/** Processes by start and by end, sorted once per job. */
const orders = new WeakMap<
  Procs,
  { byStart: Int32Array; byEnd: Int32Array; hostId: Int32Array; hosts: number }
>();

function ordersOf(procs: Procs) {
  let o = orders.get(procs);
  if (!o) {
    const { start, end, n } = procs;
    const endKey = new Float64Array(n);
    for (let i = 0; i < n; i++) endKey[i] = Math.max(end[i], start[i]);
    const byStart = argsort(start, n);
    const byEnd = argsort(endKey, n);
    const ids = new Map<string, number>();
    const hostId = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let id = ids.get(procs.host[i]);
      if (id === undefined) ids.set(procs.host[i], id = ids.size);
      hostId[i] = id;
    }
    o = { byStart, byEnd, hostId, hosts: ids.size };
    orders.set(procs, o);
  }
  return o;
}

/**
 * One walk along the job's processes by start and by end (sorted once per
 * job), skipping those outside the group (`scratch & IN`), so no group is
 * sorted again: the largest sum of rssmax of its processes alive together
 * on one host (KiB), and the union of their [start, end) intervals (what
 * unionLength gives). A process ending when another starts does not
 * overlap it.
 */
function sweep(
  procs: Procs,
  scratch: Uint8Array,
  IN: number,
): { memory: number; wall: number } {
  const { byStart, byEnd, hostId, hosts } = ordersOf(procs);
  const { start, end, rss, n } = procs;
  const running = new Float64Array(hosts);
  let peak = 0;
  let alive = 0;
  let begin = 0;
  let lastEnd = -Infinity;
  let wall = 0;
  let i = 0;
  let j = 0;
  while (i < n) {
    const s = byStart[i];
    if (!(scratch[s] & IN)) {
      i++;
      continue;
    }
    const e = j < n ? byEnd[j] : -1;
    if (e >= 0 && !(scratch[e] & IN)) {
      j++;
      continue;
    }
    if (e >= 0 && Math.max(end[e], start[e]) <= start[s]) {
      running[hostId[e]] -= rss[e];
      if (end[e] > start[e] && --alive === 0) wall += end[e] - begin;
      j++;
    } else {
      const h = hostId[s];
      running[h] += rss[s];
      if (running[h] > peak) peak = running[h];
      if (end[s] > start[s]) {
        if (alive++ === 0) begin = start[s];
        if (end[s] > lastEnd) lastEnd = end[s];
      }
      i++;
    }
  }
  if (alive > 0) wall += lastEnd - begin;
  return { memory: peak, wall };
}

/** Every position of a job: the job as one group. */
export function allOf(procs: Procs): Int32Array {
  const all = new Int32Array(procs.n);
  for (let i = 0; i < procs.n; i++) all[i] = i;
  return all;
}

/**
 * Positions 0..n-1 ordered by `keys`, ties in position order (what a
 * stable sort gives). Whole keys within a range that leaves room for the
 * position are packed as (key - min) * n + position and sorted natively,
 * several times faster than a comparator sort (this runs at every submit);
 * other keys take the comparator.
 *
 * @example
 * argsort([30, 10, 20, 10], 4); // Int32Array [1, 3, 2, 0]
 */
export function argsort(keys: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  let whole = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (!Number.isInteger(k)) {
      whole = false;
      break;
    }
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  if (whole && n > 0 && (hi - lo + 1) * n < Number.MAX_SAFE_INTEGER) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = (keys[i] - lo) * n + i;
    packed.sort();
    for (let i = 0; i < n; i++) out[i] = packed[i] % n;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = i;
  return out.sort((a, b) => keys[a] - keys[b]);
}

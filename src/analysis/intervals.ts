/**
 * Time covered by processes that may overlap: the length of the union of
 * their [start, end) intervals, so two processes running side by side for
 * 10 s count 10 s, not 20 s.
 */

/**
 * The length of the union of the intervals [start[i], end[i]) for the
 * positions in `members` (any order). Empty or inverted intervals count 0.
 *
 * @example
 * unionLength([0, 5, 20], [10, 15, 30], [0, 1, 2]); // 25
 */
export function unionLength(
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  members: ArrayLike<number>,
): number {
  const k = members.length;
  if (k === 0) return 0;
  const order = Int32Array.from(members);
  order.sort((a, b) => start[a] - start[b]);
  let total = 0;
  let curStart = start[order[0]];
  let curEnd = curStart;
  for (let j = 0; j < k; j++) {
    const s = start[order[j]];
    const e = end[order[j]];
    if (e <= s) continue;
    if (s > curEnd) {
      total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) curEnd = e;
  }
  return total + (curEnd - curStart);
}

/**
 * The largest sum of `weight` over intervals alive at the same moment
 * (e.g. the memory of processes running together). An interval ending at
 * t does not overlap one starting at t.
 */
export function peakConcurrent(
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  weight: ArrayLike<number>,
  members: ArrayLike<number>,
): number {
  const k = members.length;
  const times = new Float64Array(2 * k);
  const deltas = new Float64Array(2 * k);
  for (let j = 0; j < k; j++) {
    const m = members[j];
    times[2 * j] = start[m];
    deltas[2 * j] = weight[m];
    times[2 * j + 1] = Math.max(end[m], start[m]);
    deltas[2 * j + 1] = -weight[m];
  }
  const order = new Int32Array(2 * k);
  for (let j = 0; j < 2 * k; j++) order[j] = j;
  // At equal times, ends first.
  order.sort((a, b) => times[a] - times[b] || deltas[a] - deltas[b]);
  let now = 0;
  let peak = 0;
  for (const j of order) {
    now += deltas[j];
    if (now > peak) peak = now;
  }
  return peak;
}

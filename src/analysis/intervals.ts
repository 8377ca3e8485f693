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
  // Starts and ends sorted apart (native numeric sorts, no comparator):
  // at any time, the intervals alive are the starts passed less the ends.
  const k = members.length;
  const s = new Float64Array(k);
  const e = new Float64Array(k);
  let n = 0;
  for (let j = 0; j < k; j++) {
    const m = members[j];
    if (end[m] > start[m]) {
      s[n] = start[m];
      e[n++] = end[m];
    }
  }
  if (n === 0) return 0;
  const ss = s.subarray(0, n).sort();
  const es = e.subarray(0, n).sort();
  let total = 0;
  let alive = 0;
  let begin = 0;
  let i = 0;
  let j = 0;
  while (i < n) {
    if (ss[i] < es[j]) {
      if (alive++ === 0) begin = ss[i];
      i++;
    } else {
      if (--alive === 0) total += es[j] - begin;
      j++;
    }
  }
  return total + (es[n - 1] - begin);
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

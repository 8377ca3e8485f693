/**
 * "Did you mean" for mistyped commands, options and choices: the closest
 * known name by edit distance, when it is close enough to be a typo.
 */

/**
 * ` (did you mean X?)` for the candidate nearest `given`, or "" when none is
 * within a third of its length (at least 1, at most 3 edits).
 *
 * @example
 * suggestion("--jsno", ["--json", "--csv"]); // " (did you mean --json?)"
 */
export function suggestion(
  given: string,
  candidates: readonly string[],
  prefix = " ",
): string {
  const best = nearest(given, candidates);
  return best === undefined ? "" : `${prefix}(did you mean ${best}?)`;
}

/** The candidate nearest `given`, if it is close enough to be a typo. */
export function nearest(
  given: string,
  candidates: readonly string[],
): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(given.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    // A prefix of a long option is a likely meant abbreviation.
    const d = c.startsWith(given) && given.length >= 3 ? 1 : distance(given, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance (adjacent swaps count as one edit). */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => Array(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

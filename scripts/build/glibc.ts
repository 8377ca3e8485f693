/**
 * The oldest glibc a dynamically linked file runs on: the highest
 * `GLIBC_2.N` symbol version it references. The names sit in the file's
 * dynamic string table, so no objdump is needed.
 */

/**
 * The highest GLIBC_x.y version named in an ELF file, e.g. "2.34", or
 * undefined when it names none (static, or not linked against glibc).
 *
 * @example
 * glibcNeeded("native/libepmt.so"); // "2.34" when built on Debian 12
 */
export function glibcNeeded(path: string): string | undefined {
  const text = new TextDecoder("latin1").decode(Deno.readFileSync(path));
  let best: number[] | undefined;
  for (
    const m of text.matchAll(/(?<=\0)GLIBC_(\d+)\.(\d+)(?:\.(\d+))?(?=\0)/g)
  ) {
    const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (!best || compare(v, best) > 0) best = v;
  }
  if (!best) return undefined;
  return best[2] ? best.join(".") : `${best[0]}.${best[1]}`;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Orders dotted version strings numerically ("2.9" < "2.27"). */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number), y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
}

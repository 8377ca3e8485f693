/**
 * Exec chains for `show --tree`: exec keeps the pid, and the collector
 * records each image as a generation of it (`bash -c 'exec sleep 1'`
 * gives bash, generation 0, and sleep, generation 1, of one pid). Both
 * have the same parent, so the tree would show them as two siblings (or
 * two roots); they are one process, shown on one line: `bash ⇒ sleep 1`.
 */
import type { TreeRow } from "./tree.ts";

const IDX = 0;
const PARENT = 1;
const PID = 2;
const EXE = 3;
const ARGS = 4;
const CPU = 5;
const INCL = 6;
const CODE = 7;
const SIG = 8;
const GEN = 10;
const HOST = 11;

/** Rows with each exec chain folded into its first image. */
export interface MergedRows {
  rows: TreeRow[];
  /**
   * Per row of `rows`: how many later images were folded into it (they
   * are no longer rows, so a depth limit must not count them as hidden).
   */
  absorbed: Int32Array;
}

/**
 * Folds each later image of a process (same host and pid, next
 * generation, same parent) into the row of its first image: the names
 * joined by " ⇒ ", the last image's args and exit status, cpu times summed
 * (the images are siblings, so their inclusive times do not overlap), and
 * the later images' children become the first's. Rows must be in idx
 * order; rows without a generation are left as they are.
 *
 * @example
 * // [bash gen 0, sleep gen 1] of pid 7 -> one row "bash ⇒ sleep"
 */
export function mergeExecChains(rows: readonly TreeRow[]): MergedRows {
  const out: TreeRow[] = [];
  const absorbed: number[] = [];
  /** Position in `out` of each process's chain, by host and pid. */
  const chains = new Map<string, { at: number; generation: number }>();
  /** Where the rows of a folded image went (its idx -> the head's idx). */
  const movedTo = new Map<number, number>();
  // Rows are copied only when they change (most do not): a 100,000-row
  // job is not copied whole.
  const copied: boolean[] = [];
  for (const row of rows) {
    const generation = row[GEN];
    let r = row as TreeRow;
    let own = false;
    const parent = r[PARENT];
    if (parent !== null && movedTo.has(parent)) {
      r = [...row] as TreeRow;
      own = true;
      r[PARENT] = movedTo.get(parent)!;
    }
    if (generation === undefined || generation === null) {
      out.push(r);
      copied.push(own);
      absorbed.push(0);
      continue;
    }
    const key = `${r[HOST] ?? ""}\0${r[PID]}`;
    const chain = chains.get(key);
    let head = chain ? out[chain.at] : undefined;
    if (
      chain && head && generation === chain.generation + 1 &&
      head[PARENT] === r[PARENT]
    ) {
      if (!copied[chain.at]) {
        head = out[chain.at] = [...head] as TreeRow;
        copied[chain.at] = true;
      }
      head[EXE] = `${head[EXE] ?? ""} ⇒ ${r[EXE] ?? ""}`;
      head[ARGS] = r[ARGS];
      head[CPU] = sum(head[CPU], r[CPU]);
      head[INCL] = sum(head[INCL], r[INCL]);
      head[CODE] = r[CODE];
      head[SIG] = r[SIG];
      absorbed[chain.at]++;
      chain.generation = generation;
      movedTo.set(r[IDX], head[IDX]);
      continue;
    }
    chains.set(key, { at: out.length, generation });
    out.push(r);
    copied.push(own);
    absorbed.push(0);
  }
  return { rows: out, absorbed: Int32Array.from(absorbed) };
}

function sum(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

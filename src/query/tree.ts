/**
 * The process tree of one job for `epmt show --tree`, made readable for jobs
 * of any size: siblings that are the same command with the same outcome and
 * the same subtree are shown once with a count ("true ×2000"), a parent with
 * too many different children shows the first few and sums up the rest, and
 * a depth limit hides deep levels with a count of what is below.
 *
 * Rows come in `idx` order, which is a depth-first walk (docs/schema.md):
 * parents before children, children in start order.
 */
import { humanCount, humanDuration, shorten } from "./format.ts";
import { exitText } from "./status.ts";
import { mergeExecChains } from "./exec_chains.ts";

/**
 * One process as the tree needs it, in the column order of TREE_SQL
 * (src/query/sql.ts): idx, parent, pid, exename, args, cpu_time,
 * inclusive_cpu_time, exitcode, exitsignal, depth (only needed with a
 * depth limit), generation and host (to show an exec chain as one process,
 * see exec_chains.ts). Arrays rather than objects: a
 * 200,000-process job reads several times faster so.
 */
export type TreeRow = [
  idx: number,
  parent: number | null,
  pid: number,
  exename: string | null,
  args: string | null,
  cpu_time: number | null,
  inclusive_cpu_time: number | null,
  exitcode: number | null,
  exitsignal: number | null,
  depth?: number,
  generation?: number | null,
  host?: string | null,
];

const IDX = 0;
const PARENT = 1;
const PID = 2;
const EXE = 3;
const ARGS = 4;
const CPU = 5;
const INCL = 6;
const CODE = 7;
const SIG = 8;
const DEPTH = 9;

/** How much of the tree to show. */
export interface TreeOptions {
  /**
   * Most kinds of children shown under one parent; the rest are summed up
   * on one line. 0 shows all. @default 50
   */
  width?: number;
  /** Longest args text before it is cut in the middle. @default 40 */
  argsWidth?: number;
  /**
   * The job's number of processes when `rows` stops at a depth limit: the
   * processes below the limit are then counted from the idx ranges and
   * shown as "(+N below)". Leave undefined when rows hold the whole job.
   */
  totalProcs?: number;
  /**
   * Also merge siblings that differ only in their args (here and in their
   * subtrees) once there are at least this many kinds of them:
   * `cp RESTART/a.nc … ×600 (600 variants)`. 0 merges only identical
   * siblings. @default 10
   */
  similar?: number;
  /**
   * Keep on each group the idx of the processes it stands for, as
   * `members` (epmt ops groups a job's steps so). A folded exec chain is
   * its first image's idx.
   */
  members?: boolean;
  /**
   * Lines down to this many levels (1: the roots only); deeper groups are
   * left with no children. Grouping still compares whole subtrees.
   * @default all
   */
  levels?: number;
}

/** Identical siblings merged: what one line of the tree shows. */
export interface TreeGroup {
  exename: string;
  args: string;
  /** How many processes this line stands for. */
  count: number;
  /** The first process's pid and idx. */
  pid: number;
  idx: number;
  /** Summed over the processes, µs. */
  cpu_time: number;
  inclusive_cpu_time: number;
  exitcode: number | null;
  exitsignal: number | null;
  /** Processes below a depth limit, not in `children`. */
  hidden: number;
  /**
   * Set when the line merges siblings that differ in their args: how many
   * different kinds (exact signatures) it stands for.
   */
  variants?: number;
  children: TreeGroup[];
  /** With `members` asked for: the idx of the processes it stands for. */
  members?: number[];
  /** Set on a summary line standing for `count` processes of other kinds. */
  others?: {
    /** Distinct lines (signatures) summed up. */
    kinds: number;
    /** Distinct executables among them. */
    exenames: number;
    /** The most frequent executables with their counts. */
    top: [string, number][];
  };
}

/**
 * Groups the rows into the tree of lines (roots first). Runs in about
 * linear time: 200,000 processes take a fraction of a second.
 */
export function buildTree(
  input: readonly TreeRow[],
  opts: TreeOptions = {},
): TreeGroup[] {
  const { rows, absorbed } = mergeExecChains(input);
  const n = rows.length;
  const width = opts.width ?? 50;
  // Position of each idx, children lists (CSR), in idx order.
  let maxIdx = -1;
  for (const r of rows) if (r[IDX] > maxIdx) maxIdx = r[IDX];
  const pos = new Int32Array(maxIdx + 1).fill(-1);
  rows.forEach((r, i) => pos[r[IDX]] = i);
  const parentPos = new Int32Array(n);
  const childCount = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = rows[i][PARENT];
    const pp = p === null || p > maxIdx ? -1 : pos[p];
    // A parent that is not among the rows makes this a root.
    parentPos[i] = pp >= 0 && pp < i ? pp : -1;
    childCount[parentPos[i] + 1]++;
  }
  // Slot 0 holds the roots; slot p+1 the children of position p.
  const start = new Int32Array(n + 2);
  for (let i = 0; i <= n; i++) start[i + 1] = start[i] + childCount[i];
  const fill = start.slice(0, n + 1);
  const kids = new Int32Array(n);
  for (let i = 0; i < n; i++) kids[fill[parentPos[i] + 1]++] = i;
  const childrenOf = (slot: number) =>
    kids.subarray(start[slot], start[slot + 1]);

  const hidden = opts.totalProcs === undefined
    ? new Float64Array(n)
    : hiddenBelow(rows, parentPos, opts.totalProcs);
  // Folded exec images are shown in their process's line, not hidden.
  if (opts.totalProcs !== undefined) {
    for (let i = 0; i < n; i++) hidden[i] -= absorbed[i];
  }

  const children = { start, kids };
  // Exact signatures (command, args, exit and subtree) and args-blind ones.
  const { exact: sig, loose } = signatures(rows, children);
  const similar = opts.similar ?? 10;

  const group = (members: number[], variants = 1): TreeGroup => {
    const first = rows[members[0]];
    let cpu = 0;
    let incl = 0;
    let hid = 0;
    for (const m of members) {
      cpu += rows[m][CPU] ?? 0;
      incl += rows[m][INCL] ?? 0;
      hid += hidden[m];
    }
    return {
      exename: first[EXE] ?? "",
      args: first[ARGS] ?? "",
      count: members.length,
      pid: first[PID],
      idx: first[IDX],
      cpu_time: cpu,
      inclusive_cpu_time: incl,
      exitcode: first[CODE],
      exitsignal: first[SIG],
      hidden: hid,
      ...(variants > 1 ? { variants } : {}),
      children: [],
      ...(opts.members ? { members: members.map((m) => rows[m][IDX]) } : {}),
    };
  };

  // Buckets the children in `slots` (0: the roots, p + 1: the children of
  // position p) by signature, first seen first.
  const bucket = (slots: number[]): number[][] => {
    const bySig = new Map<number, number[]>();
    for (const s of slots) {
      for (const k of childrenOf(s)) {
        const list = bySig.get(sig[k]);
        if (list) list.push(k);
        else bySig.set(sig[k], [k]);
      }
    }
    return [...bySig.values()];
  };

  // Groups still to expand, with the processes each stands for and level.
  const todo: [TreeGroup, number[], number][] = [];
  const levels = opts.levels ?? Infinity;
  const limit = (exact: number[][], level: number): TreeGroup[] => {
    const buckets = similar > 0
      ? mergeSimilar(exact)
      : exact.map((b) => ({ b, kinds: 1 }));
    const cut = width > 0 && buckets.length > width + 1;
    const shown = cut ? buckets.slice(0, width) : buckets;
    const out = shown.map(({ b, kinds }) => {
      const g = group(b, kinds);
      if (level + 1 < levels) todo.push([g, b, level]);
      return g;
    });
    if (cut) out.push(othersLine(buckets.slice(width).map((x) => x.b)));
    return out;
  };

  // Exact buckets whose args-blind signature is shared by at least
  // `similar` of them become one, in the place of the first.
  const mergeSimilar = (exact: number[][]) => {
    const byLoose = new Map<number, number[][]>();
    for (const b of exact) {
      const k = loose[b[0]];
      const list = byLoose.get(k);
      if (list) list.push(b);
      else byLoose.set(k, [b]);
    }
    const out: { b: number[]; kinds: number }[] = [];
    for (const b of exact) {
      const family = byLoose.get(loose[b[0]])!;
      if (family.length < similar) out.push({ b, kinds: 1 });
      else if (family[0] === b) {
        out.push({ b: family.flat(), kinds: family.length });
      }
    }
    return out;
  };

  const othersLine = (rest: number[][]): TreeGroup => {
    const all = rest.flat();
    const line = group(all);
    const byExe = new Map<string, number>();
    for (const b of rest) {
      const e = rows[b[0]][EXE] ?? "";
      byExe.set(e, (byExe.get(e) ?? 0) + b.length);
    }
    const top = [...byExe].sort((a, b) => b[1] - a[1]);
    line.exename = "";
    line.args = "";
    line.exitcode = null;
    line.exitsignal = null;
    line.hidden = 0;
    for (const m of all) line.hidden += descendants(m);
    line.others = {
      kinds: rest.length,
      exenames: top.length,
      top: top.slice(0, 3),
    };
    return line;
  };

  // Every process below position m among the rows, plus hidden ones.
  const descendants = (m: number): number => {
    let count = hidden[m];
    const stack = [m];
    while (stack.length) {
      const s = stack.pop()!;
      for (const k of childrenOf(s + 1)) {
        count += 1 + hidden[k];
        stack.push(k);
      }
    }
    return count;
  };

  const roots = limit(bucket([0]), 0);
  while (todo.length) {
    const [g, members, level] = todo.pop()!;
    g.children = limit(bucket(members.map((m) => m + 1)), level + 1);
  }
  return roots;
}

/**
 * Two signatures per row, children first (they come later in idx order):
 * `exact` from the command (exename and args), exit status and subtree,
 * `loose` the same without the args anywhere. A leaf's is a number (>= 0)
 * made of its command and exit; a parent's a negative id for that number
 * with its children's signatures and their counts. Equal signatures mean
 * equal subtrees.
 */
function signatures(
  rows: readonly TreeRow[],
  children: { start: Int32Array; kids: Int32Array },
): { exact: Float64Array; loose: Float64Array } {
  const n = rows.length;
  const { start, kids } = children;
  const exact = new Float64Array(n);
  const loose = new Float64Array(n);
  const exes = new Map<
    string | null,
    { id: number; args: Map<string | null, number> }
  >();
  const parents = new Map<string, number>();
  const looseParents = new Map<string, number>();
  let commandIds = 0;
  const parentKey = (
    own: number,
    sigs: Float64Array,
    from: number,
    to: number,
  ) => {
    const s = new Float64Array(to - from);
    for (let j = from; j < to; j++) s[j - from] = sigs[kids[j]];
    s.sort();
    let key = String(own);
    let run = 1;
    for (let j = 1; j <= s.length; j++) {
      if (j < s.length && s[j] === s[j - 1]) run++;
      else {
        key += ` ${s[j - 1]}*${run}`;
        run = 1;
      }
    }
    return key;
  };
  for (let i = n - 1; i >= 0; i--) {
    const r = rows[i];
    let exe = exes.get(r[EXE]);
    if (!exe) exes.set(r[EXE], exe = { id: commandIds++, args: new Map() });
    let command = exe.args.get(r[ARGS]);
    if (command === undefined) exe.args.set(r[ARGS], command = commandIds++);
    const exit = exitKey(r[CODE]) * 0x200 + exitKey(r[SIG]);
    const own = command * 0x40000 + exit;
    const ownLoose = exe.id * 0x40000 + exit;
    const from = start[i + 1];
    const to = start[i + 2];
    if (from === to) {
      exact[i] = own;
      loose[i] = ownLoose;
      continue;
    }
    const key = parentKey(own, exact, from, to);
    let id = parents.get(key);
    if (id === undefined) parents.set(key, id = -1 - parents.size);
    exact[i] = id;
    const looseKey = parentKey(ownLoose, loose, from, to);
    id = looseParents.get(looseKey);
    if (id === undefined) {
      looseParents.set(looseKey, id = -1 - looseParents.size);
    }
    loose[i] = id;
  }
  return { exact, loose };
}

/** An exit code or signal as 0..511 for a signature (null: 511). */
function exitKey(v: number | null): number {
  return v === null ? 511 : v & 0x1ff;
}

/**
 * For each row, how many processes lie below it but are not among the rows
 * (cut off by a depth limit) and not below a shown child either. Depth-first idx makes a subtree one idx range:
 * it ends at the next row no deeper than it, or at `total`.
 */
function hiddenBelow(
  rows: readonly TreeRow[],
  parentPos: Int32Array,
  total: number,
): Float64Array {
  const n = rows.length;
  const below = new Float64Array(n);
  const stack: number[] = [];
  for (let i = 0; i <= n; i++) {
    const d = i < n ? rows[i][DEPTH] ?? 0 : -1;
    const end = i < n ? rows[i][IDX] : total;
    while (stack.length && (rows[stack[stack.length - 1]][DEPTH] ?? 0) >= d) {
      const s = stack.pop()!;
      below[s] = end - rows[s][IDX] - 1;
    }
    if (i < n) stack.push(i);
  }
  // Keep only what no shown child accounts for: a node's own hidden part.
  const own = below.slice();
  for (let i = 0; i < n; i++) {
    const p = parentPos[i];
    if (p >= 0) own[p] -= 1 + below[i];
  }
  return own;
}

/** The cells of one tree line: tree text, pid, cpu, inclusive cpu, exit. */
export type TreeLine = [string, string, string, string, string];

/**
 * The tree as table rows (tree text with ├─ └─ │ connectors, then pid,
 * cpu, inclusive cpu and exit status), for renderTable.
 */
export function treeLines(
  roots: readonly TreeGroup[],
  opts: TreeOptions = {},
): TreeLine[] {
  const argsWidth = opts.argsWidth ?? 40;
  const out: TreeLine[] = [];
  // Explicit stack: trees can be deeper than the call stack allows.
  const stack: {
    g: TreeGroup;
    prefix: string;
    last: boolean;
    root: boolean;
  }[] = [];
  for (let i = roots.length - 1; i >= 0; i--) {
    stack.push({
      g: roots[i],
      prefix: "",
      last: i === roots.length - 1,
      root: true,
    });
  }
  while (stack.length) {
    const { g, prefix, last, root } = stack.pop()!;
    const branch = root ? "" : last ? "└─ " : "├─ ";
    out.push([
      prefix + branch + label(g, argsWidth),
      g.others ? "" : g.count > 1 ? `${g.pid}…` : String(g.pid),
      humanDuration(g.cpu_time),
      humanDuration(g.inclusive_cpu_time),
      g.others ? "" : exitText(g.exitcode, g.exitsignal),
    ]);
    const childPrefix = root ? "" : prefix + (last ? "   " : "│  ");
    for (let i = g.children.length - 1; i >= 0; i--) {
      stack.push({
        g: g.children[i],
        prefix: childPrefix,
        last: i === g.children.length - 1,
        root: false,
      });
    }
  }
  return out;
}

function label(g: TreeGroup, argsWidth: number): string {
  if (g.others) {
    const kinds = g.others.top.map(([e, c]) => `${e} ×${humanCount(c)}`);
    if (g.others.exenames > g.others.top.length) kinds.push("…");
    const below = g.hidden ? `, +${humanCount(g.hidden)} below` : "";
    return `… ${humanCount(g.count)} more (${kinds.join(", ")}${below})`;
  }
  const args = shorten(g.args, argsWidth);
  let text = args === "" ? g.exename : `${g.exename} ${args}`;
  if (g.variants) text += " …";
  if (g.count > 1) text += ` ×${humanCount(g.count)}`;
  if (g.variants) text += ` (${humanCount(g.variants)} variants)`;
  if (g.hidden) text += ` (+${humanCount(g.hidden)} below)`;
  return text;
}

/** The tree as plain data for --json (times in µs, args in full). */
export function treeJson(roots: readonly TreeGroup[]): unknown[] {
  const conv = (g: TreeGroup): Record<string, unknown> => {
    const o: Record<string, unknown> = g.others
      ? {
        others: g.count,
        other_kinds: g.others.kinds,
        top_exenames: Object.fromEntries(g.others.top),
      }
      : {
        exename: g.exename,
        args: g.args,
        count: g.count,
        pid: g.pid,
        idx: g.idx,
        exitcode: g.exitcode,
        exitsignal: g.exitsignal,
        ...(g.variants ? { variants: g.variants } : {}),
      };
    o.cpu_time_us = g.cpu_time;
    o.inclusive_cpu_time_us = g.inclusive_cpu_time;
    if (g.hidden) o.hidden_below = g.hidden;
    if (!g.others) o.children = g.children.map(conv);
    return o;
  };
  return roots.map(conv);
}

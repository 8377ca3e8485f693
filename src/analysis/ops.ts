/**
 * `epmt ops`: where a job's time went, one row per op (the value of a
 * process tag, `op` by default) plus "untagged"; for a job without that tag,
 * one row per step of the job script (the root's children, identical
 * siblings folded as `show --tree` folds them, each with its subtree).
 */
import type { Row } from "../db/mod.ts";
import { humanCount, shorten } from "../query/mod.ts";
import { buildTree, type TreeGroup } from "../query/mod.ts";
import { jobWall } from "./efficiency.ts";
import type { Procs } from "./procs.ts";
import { allOf, type Usage, usageOf } from "./usage.ts";
import { type Request, type Verdict, verdictOf } from "./verdict.ts";

/** The name of the row for processes without the tag. */
export const UNTAGGED = "untagged";

/** One op (or step) and what its processes used. */
export interface Op extends Usage {
  op: string;
  /** Of the job's wall time (the op's wall counts overlaps once). */
  share_wall: number | null;
  /** Of the job's cpu time. */
  share_cpu: number | null;
  verdict: Verdict;
  /** Steps only: the first process's pid and how many siblings were folded. */
  pid?: number;
  count?: number;
}

/** A job's ops. */
export interface Ops {
  /** The tag key grouped by. */
  by: string;
  /** "tag": by the tag's values; "steps": the job had no such tag. */
  grouping: "tag" | "steps";
  job_wall_us: number;
  job_cpu_us: number;
  ops: Op[];
}

/**
 * The ops of a job (`job` its jobs row, `procs` its processes), grouped by
 * process tag `by`; `request` carries the job's memory request for the
 * memory verdict; `whole`, the usage of all its processes when known;
 * `steps` false leaves a job without the tag with no ops (not its steps).
 */
export function opsOf(
  job: Row,
  procs: Procs,
  by: string,
  request: Omit<Request, "job" | "cores">,
  whole?: Usage,
  steps = true,
): Ops {
  const scratch = new Uint8Array(procs.n);
  whole ??= usageOf(procs, allOf(procs), scratch);
  const wall = jobWall(job, whole.wall_us);
  const groups = tagGroups(procs, by);
  const grouping = groups ? "tag" : "steps";
  const named = groups ?? (steps ? stepGroups(procs) : []);
  const req: Request = { ...request, cores: null, job: false };
  const ops = named.map(({ name, members, pid, count }): Op => {
    const u = usageOf(procs, members, scratch);
    return {
      op: name,
      ...u,
      share_wall: wall > 0 ? u.wall_us / wall : null,
      share_cpu: whole.cpu_us > 0 ? u.cpu_us / whole.cpu_us : null,
      verdict: verdictOf(u, req),
      ...(pid === undefined ? {} : { pid, count }),
    };
  });
  return { by, grouping, job_wall_us: wall, job_cpu_us: whole.cpu_us, ops };
}

interface Named {
  name: string;
  members: number[];
  pid?: number;
  count?: number;
}

/**
 * Processes by the value of tag `by`, in order of first start, "untagged"
 * last; null when no process has the tag.
 */
function tagGroups(procs: Procs, by: string): Named[] | null {
  const valueOf = new Map<string, string | null>();
  const groups = new Map<string, number[]>();
  const untagged: number[] = [];
  for (let i = 0; i < procs.n; i++) {
    const text = procs.tags[i];
    let value: string | null = null;
    if (text !== null) {
      if (valueOf.has(text)) value = valueOf.get(text)!;
      else {
        value = tagValue(text, by);
        valueOf.set(text, value);
      }
    }
    if (value === null) {
      untagged.push(i);
      continue;
    }
    const list = groups.get(value);
    if (list) list.push(i);
    else groups.set(value, [i]);
  }
  if (groups.size === 0) return null;
  const firstStart = (m: number[]) =>
    Math.min(...m.slice(0, 1000).map((i) => procs.start[i]));
  const out = [...groups].map(([name, members]) => ({ name, members }))
    .sort((a, b) =>
      firstStart(a.members) - firstStart(b.members) ||
      (a.name < b.name ? -1 : 1)
    );
  // A tag value that happens to be "untagged" stays apart from the rest.
  if (untagged.length) out.push({ name: UNTAGGED, members: untagged });
  return out;
}

function tagValue(text: string, key: string): string | null {
  try {
    const tags = JSON.parse(text);
    if (!tags || typeof tags !== "object" || !(key in tags)) return null;
    const v = tags[key];
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return null;
  }
}

/**
 * The steps of a job script: the children of its one root (or the roots
 * when there are several), folded as `show --tree` folds siblings, each
 * with all the processes below it.
 */
function stepGroups(procs: Procs): Named[] {
  if (procs.n === 0) return [];
  // Steps are the roots' children: two levels of lines are enough.
  const roots = buildTree(procs.tree, { members: true, levels: 2 });
  const steps = roots.length === 1 && roots[0].count === 1 &&
      roots[0].children.length > 0
    ? roots[0].children
    : roots;
  const posOf = new Map<number, number>();
  procs.tree.forEach((r, i) => posOf.set(r[0], i));
  const images = execImages(procs);
  return steps.map((g) => {
    const members: number[] = [];
    for (const idx of g.members ?? []) {
      const head = posOf.get(idx);
      if (head === undefined) continue;
      // The tree shows an exec chain as its first image: take every image.
      for (const m of [head, ...(images.get(head) ?? [])]) {
        for (let j = m; j < procs.subtreeEnd[m]; j++) members.push(j);
      }
    }
    return {
      name: stepName(g),
      members,
      ...(g.others ? {} : { pid: g.pid, count: g.count }),
    };
  });
}

/**
 * The later images of each exec chain by the position of its first, as
 * show --tree folds them (src/query/exec_chains.ts): same host and pid,
 * the next generation, the same parent.
 */
function execImages(procs: Procs): Map<number, number[]> {
  const out = new Map<number, number[]>();
  // Only pids with a later image can head a chain: most rows skip the map.
  const execd = new Set<number>();
  for (let i = 0; i < procs.n; i++) {
    if (procs.generation[i] > 0) execd.add(procs.tree[i][2]);
  }
  if (execd.size === 0) return out;
  const chains = new Map<string, { head: number; generation: number }>();
  for (let i = 0; i < procs.n; i++) {
    const generation = procs.generation[i];
    if (generation < 0 || !execd.has(procs.tree[i][2])) continue;
    const key = `${procs.host[i]}\0${procs.tree[i][2]}`;
    const chain = chains.get(key);
    if (
      chain && generation === chain.generation + 1 &&
      procs.parent[chain.head] === procs.parent[i]
    ) {
      const list = out.get(chain.head);
      if (list) list.push(i);
      else out.set(chain.head, [i]);
      chain.generation = generation;
      continue;
    }
    chains.set(key, { head: i, generation });
  }
  return out;
}

function stepName(g: TreeGroup): string {
  if (g.others) {
    return `… ${humanCount(g.count)} more (${
      g.others.top.map(([e, c]) => `${e} ×${humanCount(c)}`).join(", ")
    })`;
  }
  const args = shorten(g.args, 40);
  let text = args === "" ? g.exename : `${g.exename} ${args}`;
  if (g.variants) text += " …";
  if (g.count > 1) text += ` ×${humanCount(g.count)}`;
  return text;
}

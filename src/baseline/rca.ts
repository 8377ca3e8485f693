/**
 * Root cause: every metric, op and executable of a job ranked by how far it
 * is from a reference (a stored model, or other jobs), most deviant first,
 * and the op that explains most of the job's extra wall time.
 */
import type { Store } from "../db/mod.ts";
import type { JobFeatures } from "./features.ts";
import { type ProcFlag, stragglers } from "./procs.ts";
import { deviations } from "./judge.ts";
import type { RefModel } from "./model.ts";

/** One ranked feature. */
export interface Cause {
  feature: string;
  op?: string;
  exe?: string;
  value: number;
  median: number;
  /** value / median. */
  ratio: number;
  /** Modified z-score against the reference (robust). */
  score: number;
  /** z-score and IQR score, for the curious. */
  zscore: number;
  iqr: number;
}

/** Which op the extra wall time went to. */
export interface WallShare {
  /** The job's wall time, the reference median, the difference (µs). */
  value: number;
  median: number;
  extra: number;
  /** The op with the largest extra duration, when the job took longer. */
  op?: {
    op: string;
    value: number;
    median: number;
    extra: number;
    /** Its extra over the job's extra (may pass 1 when others gained). */
    share: number;
  };
}

/** The outcome of rca. */
export interface RcaResult {
  jobid: string;
  ranking: Cause[];
  wall?: WallShare;
  /**
   * The processes of the op that explains the extra wall time that took
   * much longer than their siblings in that op (filled by the caller:
   * withStragglers).
   */
  stragglers?: ProcFlag[];
}

/**
 * Adds to `r` the stragglers (duration, modified z-score) among the
 * processes of the op that explains the extra wall time: one slow MPI rank
 * is then named, not just its op.
 */
export async function withStragglers(
  store: Store,
  r: RcaResult,
  opKey: string,
): Promise<RcaResult> {
  const op = r.wall?.op?.op;
  if (op === undefined) return r;
  const flags = await stragglers(store, r.jobid, "op", ["modified-zscore"], {
    opKey,
    metrics: ["duration"],
  });
  const mine = flags.filter((f) => f.group === `op:${op}` && f.score > 0);
  return mine.length ? { ...r, stragglers: mine } : r;
}

const SCOPE_ORDER = (c: Cause) =>
  c.op !== undefined ? 0 : c.exe !== undefined ? 1 : 2;

/**
 * Most deviant first: by |robust score|, ties (two infinite scores) by how
 * many times the median, then the narrower scope (an op names a cause more
 * precisely than the job total it is part of).
 */
function order(a: Cause, b: Cause): number {
  const s = Math.abs(b.score) - Math.abs(a.score);
  if (s !== 0 && !Number.isNaN(s)) return s;
  const r = Math.abs(Math.log(b.ratio || 1e-300)) -
    Math.abs(Math.log(a.ratio || 1e-300));
  if (r !== 0 && !Number.isNaN(r)) return r;
  return SCOPE_ORDER(a) - SCOPE_ORDER(b);
}

/** Ranks the features of `job` against `model`. */
export function rca(model: RefModel, job: JobFeatures): RcaResult {
  const ranking: Cause[] = deviations(model, job).map((d) => ({
    feature: d.feature,
    ...(d.op !== undefined ? { op: d.op } : {}),
    ...(d.exe !== undefined ? { exe: d.exe } : {}),
    value: d.value,
    median: d.stats.median,
    ratio: d.ratio,
    score: d.scores["modified-zscore"],
    zscore: d.scores.zscore,
    iqr: d.scores.iqr,
  })).sort(order);
  const wallStats = model.stats.job.duration;
  const wallValue = job.job.duration;
  let wall: WallShare | undefined;
  if (wallStats && wallValue !== undefined) {
    wall = {
      value: wallValue,
      median: wallStats.median,
      extra: wallValue - wallStats.median,
    };
    if (wall.extra > 0) {
      let best: WallShare["op"];
      for (const [op, v] of Object.entries(job.ops)) {
        const s = model.stats.ops[op]?.duration;
        if (!s || v.duration === undefined) continue;
        const extra = v.duration - s.median;
        if (extra > 0 && (!best || extra > best.extra)) {
          best = {
            op,
            value: v.duration,
            median: s.median,
            extra,
            share: extra / wall.extra,
          };
        }
      }
      if (best) wall.op = best;
    }
  }
  return { jobid: job.jobid, ranking, ...(wall ? { wall } : {}) };
}

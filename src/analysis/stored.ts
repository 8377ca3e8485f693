/**
 * The analysis stored with each job (table `analyses`): made at submit when
 * the setting analyze_on_submit is on, remade by `epmt analyze`. Besides
 * efficiency, verdict and ops it holds the flags of the job against the
 * newest reference model of its experiment (src/baseline, when there is
 * one). A failing analysis is stored as its error and never fails submit.
 */
import type { ProcessRows, Queryable, Row, Store } from "../db/mod.ts";
import * as log from "../log.ts";
import { analyzeJob, DEFAULT_OP_KEY, type JobAnalysis } from "./job.ts";
import {
  needForOps,
  type Procs,
  procsFromProcessRows,
  readProcs,
} from "./procs.ts";
import { efficiencyRecord, verdictRecord } from "./render.ts";

/** One feature of a job that stands out against a reference model. */
export type { Flag } from "../baseline/mod.ts";
import type { Flag } from "../baseline/mod.ts";

/**
 * The flags of `job` against the newest reference model of its experiment
 * and component or job tags (src/baseline), and that model's name; none
 * when there is no such model. The baseline module loads only here.
 */
async function judge(
  store: Store,
  job: Row,
): Promise<{ flags: Flag[]; model: string | null }> {
  const { newestModelFor, judgeAgainst } = await import(
    "../baseline/mod.ts"
  );
  let tags: Record<string, unknown> = {};
  try {
    tags = JSON.parse(String(job.tags ?? "{}")) ?? {};
  } catch {
    // no tags to match
  }
  const model = await newestModelFor(store, {
    exp_name: String(job.exp_name ?? ""),
    exp_component: String(job.exp_component ?? ""),
    tags,
  });
  if (!model) return { flags: [], model: null };
  const flags = await judgeAgainst(store, model, [String(job.jobid)]);
  return { flags, model: model.name };
}

/** A stored analysis as one row of `analyses`. */
interface Record_ {
  jobid: string;
  analyzed_us: number;
  verdict: string | null;
  efficiency: string | null;
  details: string | null;
  flags: string;
  num_flags: number;
  model: string | null;
  error: string | null;
}

function recordOf(
  jobid: string,
  a: JobAnalysis,
  judged: { flags: Flag[]; model: string | null },
): Record_ {
  return {
    jobid,
    analyzed_us: Date.now() * 1000,
    verdict: a.verdict.kind,
    efficiency: JSON.stringify(efficiencyRecord(a.efficiency)),
    details: JSON.stringify({
      verdict: verdictRecord(a.verdict),
      ops: a.ops.ops.length === 0 ? null : {
        by: a.ops.by,
        grouping: a.ops.grouping,
        ops: a.ops.ops.map((o) => ({
          op: o.op,
          procs: o.procs,
          wall_us: o.wall_us,
          cpu_us: o.cpu_us,
          share_wall: o.share_wall,
          share_cpu: o.share_cpu,
          verdict: o.verdict.kind,
        })),
      },
    }),
    flags: JSON.stringify(judged.flags),
    num_flags: judged.flags.length,
    model: judged.model,
    error: null,
  };
}

function failure(jobid: string, e: unknown): Record_ {
  return {
    jobid,
    analyzed_us: Date.now() * 1000,
    verdict: null,
    efficiency: null,
    details: null,
    flags: "[]",
    num_flags: 0,
    model: null,
    error: e instanceof Error ? e.message : String(e),
  };
}

/** Replaces the job's stored analysis (one transaction: one commit). */
async function save(store: Store, r: Record_): Promise<void> {
  await store.transaction((tx) => replace(tx, r));
}

async function replace(q: Queryable, r: Record_): Promise<void> {
  await q.execute("DELETE FROM analyses WHERE jobid = ?", [r.jobid]);
  await q.execute(
    `INSERT INTO analyses (jobid, analyzed_us, verdict, efficiency, details,
       flags, num_flags, model, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      r.jobid,
      r.analyzed_us,
      r.verdict,
      r.efficiency,
      r.details,
      r.flags,
      r.num_flags,
      r.model,
      r.error,
    ],
  );
}

/** What analysing one job came to. */
export interface Outcome {
  jobid: string;
  verdict: string | null;
  flags: number;
  model: string | null;
  error: string | null;
}

const outcome = (r: Record_): Outcome => ({
  jobid: r.jobid,
  verdict: r.verdict,
  flags: r.num_flags,
  model: r.model,
  error: r.error,
});

/**
 * Analyses a job that submit has just stored (`job` its row, `rows` its
 * processes as given to the store) and stores the result. `collected`: the
 * processes already gathered while the store wrote them (made with
 * `new ProcsCollector(n, { tree: false })`), if it saw every row. Never
 * throws: a failure is stored as the job's analysis error (and logged).
 */
export async function analyzeAtSubmit(
  store: Store,
  job: Row,
  rows: ProcessRows,
  collected?: Procs,
): Promise<Outcome> {
  const jobid = String(job.jobid);
  let r: Record_;
  try {
    const t0 = performance.now();
    // Only what the job's verdict needs: the ops (and the tree rows they
    // need) are worked out when shown. Keeps submit's cost small.
    const procs = collected ?? procsFromProcessRows(rows, { tree: false });
    const t1 = performance.now();
    const a = analyzeJob(job, procs, undefined, { ops: false });
    const t2 = performance.now();
    const judged = await judge(store, job);
    const t3 = performance.now();
    r = recordOf(jobid, a, judged);
    log.debug(
      `job ${jobid}: analysis: processes ${ms(t1 - t0)}, efficiency and ` +
        `verdict ${ms(t2 - t1)}, reference model ${ms(t3 - t2)}`,
    );
  } catch (e) {
    log.warning(
      `job ${jobid}: analysis failed (job stored): ${
        e instanceof Error ? e.message : e
      }`,
    );
    r = failure(jobid, e);
  }
  try {
    const t4 = performance.now();
    await save(store, r);
    log.debug(`job ${jobid}: analysis stored in ${ms(performance.now() - t4)}`);
  } catch (e) {
    log.warning(
      `job ${jobid}: could not store its analysis: ${
        e instanceof Error ? e.message : e
      }`,
    );
    r = failure(jobid, e);
  }
  return outcome(r);
}

const ms = (t: number) => `${t.toFixed(0)} ms`;

/** (Re)analyses a stored job and stores the result; errors are stored too. */
export async function reanalyze(store: Store, job: Row): Promise<Outcome> {
  const jobid = String(job.jobid);
  let r: Record_;
  try {
    const a = analyzeJob(
      job,
      await readProcs(store, jobid, needForOps(job, DEFAULT_OP_KEY)),
    );
    r = recordOf(jobid, a, await judge(store, job));
  } catch (e) {
    r = failure(jobid, e);
  }
  await save(store, r);
  return outcome(r);
}

/** The stored analysis of a job as --json shows it; null when none. */
export async function storedAnalysis(
  store: Store,
  jobid: string,
): Promise<Record<string, unknown> | null> {
  const [r] = await store.query(
    `SELECT analyzed_us, verdict, flags, num_flags, model, error
       FROM analyses WHERE jobid = ?`,
    [jobid],
  );
  if (!r) return null;
  return {
    analyzed_us: r.analyzed_us,
    verdict: r.verdict,
    flags: r.flags ? JSON.parse(String(r.flags)) : [],
    num_flags: r.num_flags,
    model: r.model,
    error: r.error,
  };
}

/**
 * What the report adds from other parts of epmt: the job's analysis
 * (src/analysis: efficiency and verdict as stored at submit, the critical
 * path) and the reference model that covers it (src/baseline: each
 * metric's median and band, the job's outlier flags against it).
 */
import type { Row, Store } from "../db/mod.ts";
import { newestModelFor, type RefModel } from "../baseline/mod.ts";
import { criticalPath, jobWall, readProcs } from "../analysis/mod.ts";
import { humanCount, jsonObject, THRESHOLDS } from "../query/mod.ts";
import type { Band, Extras, ExtrasSource } from "./data.ts";

/**
 * Spreads under this share of the median count as this share (as the
 * baseline judge does): a metric constant in training still has a band.
 */
const NOISE_FLOOR = 0.05;

/**
 * The band of a metric: where its modified z-score against the model
 * stays within the flagging limit (3.5), median ± 3.5 × MAD / 0.6745.
 */
export function bandOf(
  s: { median: number; mad: number },
): Band {
  const spread = Math.max(s.mad, NOISE_FLOOR * Math.abs(s.median));
  const half = THRESHOLDS["modified-zscore"] * spread / 0.6745;
  return { median: s.median, low: s.median - half, high: s.median + half };
}

/** The newest reference model covering `job` (a jobs row), if any. */
export async function modelFor(
  store: Store,
  job: Row,
): Promise<RefModel | undefined> {
  if (!(await hasTable(store, "refmodels"))) return undefined;
  return await newestModelFor(store, {
    exp_name: String(job.exp_name ?? ""),
    exp_component: String(job.exp_component ?? ""),
    tags: jsonObject(job.tags),
  });
}

/** Per job metric: the model's band. */
export function modelBands(model: RefModel): Record<string, Band> {
  const out: Record<string, Band> = {};
  for (const [metric, s] of Object.entries(model.stats.job)) {
    out[metric] = bandOf(s);
  }
  return out;
}

/**
 * Jobs with more processes than this get no critical path in their report
 * (reading the tree again would double the report's time); `epmt show
 * --critical JOBID` prints it.
 */
export const MAX_CRITICAL_PROCS = 20_000;

/**
 * The extras of a job: its stored analysis, its critical path, the model's
 * bands and the job's flags against the model.
 */
export const reportExtras: ExtrasSource = async (store, job) => {
  const ex: Extras = {};
  const jobid = String(job.jobid);
  const stored = await storedAnalysis(store, jobid);
  if (stored) {
    ex.efficiency = stored.efficiency;
    ex.verdict = stored.verdict;
    if (stored.flags.length) ex.flags = flagTexts(stored.flags);
  }
  const n = Number(job.num_procs ?? 0);
  if (n > 0 && n <= MAX_CRITICAL_PROCS) {
    const procs = await readProcs(store, jobid, "critical");
    ex.criticalPath = criticalPath(procs, jobWall(job, 0)).map((s) => s.pos);
  } else if (n > MAX_CRITICAL_PROCS) {
    ex.criticalNote = `No critical path drawn for more than ${
      humanCount(MAX_CRITICAL_PROCS)
    } processes; epmt show --critical ${jobid} prints it.`;
  }
  const model = await modelFor(store, job);
  if (model) {
    ex.model = modelBands(model);
    ex.modelName = model.name;
    // Flags stored at submit are against the model of that time: judged
    // again when the covering model is another (or was made since).
    if (stored?.model !== model.name) {
      const { judgeAgainst } = await import("../baseline/mod.ts");
      ex.flags = flagTexts(await judgeAgainst(store, model, [jobid]));
    }
  }
  return ex;
};

/** What the analysis at submit stored for a job (table `analyses`). */
async function storedAnalysis(
  store: Store,
  jobid: string,
): Promise<
  {
    efficiency: number | null;
    verdict: string | null;
    flags: Parameters<typeof flagTexts>[0];
    model: string | null;
  } | null
> {
  if (!(await hasTable(store, "analyses"))) return null;
  const [r] = await store.query(
    `SELECT verdict, efficiency, details, flags, model, error FROM analyses
      WHERE jobid = ?`,
    [jobid],
  );
  if (!r || r.error) return null;
  const eff = jsonObject(r.efficiency);
  const details = jsonObject(r.details);
  const verdict = (details.verdict ?? {}) as { reason?: unknown };
  const flags = JSON.parse(String(r.flags ?? "[]"));
  return {
    efficiency: typeof eff.cpu === "number" ? eff.cpu : null,
    verdict: r.verdict === null
      ? null
      : `${r.verdict}${
        typeof verdict.reason === "string" ? `: ${verdict.reason}` : ""
      }`,
    flags: Array.isArray(flags) ? flags : [],
    model: r.model === null ? null : String(r.model),
  };
}

/**
 * One line per flagged feature, its methods together:
 * "cpu_time 2.10× median (zscore, iqr)", "op ocean: duration 3.00× median
 * (modified-zscore)".
 */
export function flagTexts(
  flags: readonly {
    feature: string;
    value: number;
    median: number;
    method: string;
    op?: string;
    exe?: string;
  }[],
): string[] {
  const byFeature = new Map<string, { text: string; methods: string[] }>();
  for (const f of flags) {
    const where = f.op ? `op ${f.op}: ` : f.exe ? `${f.exe}: ` : "";
    const key = where + f.feature;
    let e = byFeature.get(key);
    if (!e) {
      const ratio = f.median !== 0
        ? `${(f.value / f.median).toFixed(2)}× median`
        : `${f.value} over a zero median`;
      e = { text: `${key} ${ratio}`, methods: [] };
      byFeature.set(key, e);
    }
    e.methods.push(f.method);
  }
  return [...byFeature.values()].map((e) =>
    `${e.text} (${e.methods.join(", ")})`
  );
}

/** Whether the database has `table` (older databases may not). */
async function hasTable(store: Store, table: string): Promise<boolean> {
  const rows = await store.query(
    store.provider === "postgres"
      ? "SELECT 1 AS x WHERE to_regclass(?::text) IS NOT NULL"
      : "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?",
    [table],
  );
  return rows.length > 0;
}

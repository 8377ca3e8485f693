/**
 * What the report adds from other parts of epmt: the reference model that
 * covers a job (src/baseline: each metric's median and band, and the
 * job's outlier flags against it).
 */
import type { Row, Store } from "../db/mod.ts";
import { newestModelFor, type RefModel } from "../baseline/mod.ts";
import { jsonObject, THRESHOLDS } from "../query/mod.ts";
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

/** The extras of a job: the model's bands and the job's flags against it. */
export const reportExtras: ExtrasSource = async (store, job) => {
  const ex: Extras = {};
  const model = await modelFor(store, job);
  if (model) {
    ex.model = modelBands(model);
    ex.modelName = model.name;
    const { judgeAgainst } = await import("../baseline/mod.ts");
    const flags = await judgeAgainst(store, model, [String(job.jobid)]);
    ex.flags = flagTexts(flags);
  }
  return ex;
};

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

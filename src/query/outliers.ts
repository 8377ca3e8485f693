/**
 * `epmt outliers`: among comparable jobs (same exp_name and exp_component,
 * the same job tag, or the jobs named), flag jobs whose features stand out,
 * per method; with `--by KEY`, the same per process-tag value (op:ocean)
 * across jobs.
 */
import { UserError } from "../errors.ts";
import type { Row, SqlValue, Store } from "../db/mod.ts";
import { objectHasTag, type Tag } from "./filters.ts";
import { humanRatio, shorten } from "./format.ts";
import { humanMetric, rawName } from "./metrics.ts";
import { median, type Method, scores, THRESHOLDS } from "./stats.ts";
import { jsonObject } from "./store.ts";
import { renderTable } from "./table.ts";

/** Fewest comparable jobs the statistics are run on. */
export const MIN_JOBS = 4;

/** Features used when --features is not given (as the Python EPMT). */
export const DEFAULT_FEATURES = ["duration", "cpu_time", "num_procs"];

/** Features of a process-tag group (--by). */
export const BY_FEATURES = [
  "duration",
  "cpu_time",
  "num_procs",
  "num_threads",
  "rssmax_peak",
  "usertime",
  "systemtime",
  "read_bytes",
  "write_bytes",
  "rchar",
  "wchar",
];

/** A set of comparable jobs (or of one tag value's processes in them). */
export interface Population {
  /** What makes them comparable, for people: "exp_name X, exp_component Y". */
  label: string;
  /** The same as data, for --json. */
  key: Record<string, string>;
  /** Job id -> feature -> value. */
  values: Map<string, Record<string, number | null>>;
}

/** One method's verdict on one job's feature. */
export interface Flag {
  jobid: string;
  feature: string;
  value: number;
  median: number;
  method: Method;
  score: number;
}

/** The outcome for one population. */
export interface PopulationResult {
  population: Population;
  features: string[];
  /** Set when the population is too small to judge. */
  skipped?: string;
  flags: Flag[];
  /** Every job's scores per feature and method (for --json). */
  scores: {
    jobid: string;
    feature: string;
    value: number;
    scores: Partial<Record<Method, number>>;
  }[];
}

/** How the jobs to compare are chosen. */
export interface Selection {
  jobids: string[];
  exp?: string;
  tag?: Tag;
}

const JOB_COLUMNS_NEEDED =
  "jobid, exp_name, exp_component, duration_us, cpu_time, num_procs, num_threads, proc_sums, start_us";

function jobFeatures(row: Row): Record<string, number | null> {
  const sums = jsonObject(row.proc_sums) as Record<string, number | null>;
  return {
    ...sums,
    duration: row.duration_us as number | null,
    cpu_time: row.cpu_time as number | null,
    num_procs: row.num_procs as number | null,
    num_threads: row.num_threads as number | null,
  };
}

function inList(n: number): string {
  return Array(n).fill("?").join(", ");
}

/**
 * The populations the selection names, as job rows: one per exp_name and
 * exp_component (--exp, one job id, or nothing: every experiment), one for
 * a tag, or the jobs named. Also returns the job ids to report on (all
 * when empty).
 */
export async function selectPopulations(
  store: Store,
  sel: Selection,
): Promise<
  {
    groups: { label: string; key: Record<string, string>; rows: Row[] }[];
    only: Set<string>;
  }
> {
  const cols = JOB_COLUMNS_NEEDED;
  const only = new Set<string>();
  const byExp = (rows: Row[]) => {
    const m = new Map<string, Row[]>();
    for (const r of rows) {
      const k = `${r.exp_name}\0${r.exp_component}`;
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(r);
    }
    return [...m.values()].map((rs) => ({
      label: `exp_name ${rs[0].exp_name}, exp_component ${
        rs[0].exp_component || "(none)"
      }`,
      key: {
        exp_name: String(rs[0].exp_name),
        exp_component: String(rs[0].exp_component),
      },
      rows: rs,
    }));
  };
  const order = " ORDER BY start_us, jobid";
  if (sel.tag) {
    const cond = objectHasTag(store.provider, "tags", sel.tag);
    const rows = await store.query(
      `SELECT ${cols} FROM jobs WHERE ${cond.sql}${order}`,
      cond.params,
    );
    sel.jobids.forEach((j) => only.add(j));
    const text = sel.tag.value === undefined
      ? sel.tag.key
      : `${sel.tag.key}:${sel.tag.value}`;
    return {
      groups: [{ label: `job tag ${text}`, key: { tag: text }, rows }],
      only,
    };
  }
  if (sel.exp !== undefined) {
    const rows = await store.query(
      `SELECT ${cols} FROM jobs WHERE exp_name = ?${order}`,
      [sel.exp],
    );
    if (rows.length === 0) {
      throw new UserError(`no jobs of experiment ${sel.exp}`);
    }
    sel.jobids.forEach((j) => only.add(j));
    return { groups: byExp(rows), only };
  }
  if (sel.jobids.length === 1) {
    const [job] = await store.query(
      `SELECT ${cols} FROM jobs WHERE jobid = ?`,
      [sel.jobids[0]],
    );
    if (!job.exp_name) {
      throw new UserError(
        `job ${job.jobid} has no experiment (exp_name) to find comparable jobs by: name the jobs to compare, or use --tag`,
      );
    }
    const rows = await store.query(
      `SELECT ${cols} FROM jobs WHERE exp_name = ? AND exp_component = ?${order}`,
      [job.exp_name, job.exp_component] as SqlValue[],
    );
    only.add(String(job.jobid));
    return { groups: byExp(rows), only };
  }
  if (sel.jobids.length > 1) {
    const rows = await store.query(
      `SELECT ${cols} FROM jobs WHERE jobid IN (${
        inList(sel.jobids.length)
      })${order}`,
      sel.jobids,
    );
    return {
      groups: [{
        label: `the ${rows.length} jobs named`,
        key: { jobs: "named" },
        rows,
      }],
      only,
    };
  }
  const rows = await store.query(
    `SELECT ${cols} FROM jobs WHERE exp_name <> ''${order}`,
  );
  if (rows.length === 0) {
    throw new UserError(
      "no jobs with an experiment (exp_name): name the jobs to compare, or use --tag",
    );
  }
  return { groups: byExp(rows), only };
}

/** Job populations with job-level features. */
export function jobPopulations(
  groups: { label: string; key: Record<string, string>; rows: Row[] }[],
): Population[] {
  return groups.map((g) => ({
    label: g.label,
    key: g.key,
    values: new Map(g.rows.map((r) => [String(r.jobid), jobFeatures(r)])),
  }));
}

/**
 * For --by KEY: one population per value of process tag KEY, with the
 * features of that value's processes in each job (sums; duration from
 * their first start to last end; rssmax_peak the largest).
 */
export async function tagPopulations(
  store: Store,
  groups: { label: string; key: Record<string, string>; rows: Row[] }[],
  by: string,
): Promise<Population[]> {
  const key = store.provider === "postgres"
    ? { sql: "tags->>(?::text)", param: by }
    : { sql: "json_extract(tags, ?)", param: `$."${by}"` };
  const out: Population[] = [];
  for (const g of groups) {
    const ids = g.rows.map((r) => String(r.jobid));
    const byValue = new Map<
      string,
      Map<string, Record<string, number | null>>
    >();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await store.query(
        `SELECT jobid, ${key.sql} AS v, count(*) AS num_procs, sum(numtids) AS num_threads,
                sum(cpu_time) AS cpu_time, max(end_us) - min(start_us) AS duration,
                max(rssmax) AS rssmax_peak, sum(usertime) AS usertime,
                sum(systemtime) AS systemtime, sum(read_bytes) AS read_bytes,
                sum(write_bytes) AS write_bytes, sum(rchar) AS rchar, sum(wchar) AS wchar
           FROM processes WHERE jobid IN (${
          inList(part.length)
        }) AND ${key.sql} IS NOT NULL
          GROUP BY jobid, 2`,
        [key.param, ...part, key.param],
      );
      for (const r of rows) {
        const v = String(r.v);
        if (!byValue.has(v)) byValue.set(v, new Map());
        const f: Record<string, number | null> = {};
        for (const name of BY_FEATURES) {
          f[name] = r[name] === null ? null : Number(r[name]);
        }
        byValue.get(v)!.set(String(r.jobid), f);
      }
    }
    for (
      const [v, values] of [...byValue].sort((a, b) => a[0].localeCompare(b[0]))
    ) {
      out.push({
        label: `${g.label}; process tag ${by}:${v}`,
        key: { ...g.key, [by]: v },
        values,
      });
    }
  }
  return out;
}

/** Checks feature names against what the populations have. */
export function checkFeatures(
  features: string[],
  populations: Population[],
  by?: string,
): void {
  const known = new Set<string>(
    by ? BY_FEATURES : ["duration", "cpu_time", "num_procs", "num_threads"],
  );
  if (!by) {
    for (const p of populations) {
      for (const v of p.values.values()) {
        Object.keys(v).forEach((k) => known.add(k));
      }
    }
  }
  const bad = features.filter((f) => !known.has(f));
  if (bad.length) {
    throw new UserError(
      `unknown feature${bad.length > 1 ? "s" : ""} ${bad.join(", ")} (known: ${
        [...known].sort().join(", ")
      })`,
    );
  }
}

/** Runs `methods` on every feature of a population. */
export function judge(
  p: Population,
  features: string[],
  methods: Method[],
): PopulationResult {
  const result: PopulationResult = {
    population: p,
    features,
    flags: [],
    scores: [],
  };
  if (p.values.size < MIN_JOBS) {
    result.skipped = `${p.values.size} comparable job${
      p.values.size === 1 ? "" : "s"
    }, at least ${MIN_JOBS} are needed`;
    return result;
  }
  for (const feature of features) {
    const ids: string[] = [];
    const xs: number[] = [];
    for (const [id, f] of p.values) {
      const v = f[feature];
      if (typeof v === "number" && Number.isFinite(v)) {
        ids.push(id);
        xs.push(v);
      }
    }
    if (xs.length < MIN_JOBS) continue;
    const med = median(xs);
    const per = methods.map((m) => [m, scores(m, xs)] as const);
    ids.forEach((id, i) => {
      const s: Partial<Record<Method, number>> = {};
      for (const [m, sc] of per) {
        s[m] = sc[i].score;
        if (sc[i].outlier) {
          result.flags.push({
            jobid: id,
            feature,
            value: xs[i],
            median: med,
            method: m,
            score: sc[i].score,
          });
        }
      }
      result.scores.push({ jobid: id, feature, value: xs[i], scores: s });
    });
  }
  return result;
}

/** JSON has no Infinity: scores against a zero spread become strings. */
function jsonScore(v: number): number | string {
  return Number.isFinite(v) ? v : v > 0 ? "inf" : "-inf";
}

/** The results as raw values (for --json), flags restricted to `only`. */
export function resultsRecord(
  results: PopulationResult[],
  only: Set<string>,
): unknown {
  return results.map((r) => ({
    group: r.population.key,
    jobs: [...r.population.values.keys()],
    features: r.features.map(rawName),
    ...(r.skipped ? { skipped: r.skipped } : {}),
    outliers: r.flags.filter((f) => only.size === 0 || only.has(f.jobid)).map((
      f,
    ) => ({
      jobid: f.jobid,
      feature: rawName(f.feature),
      value: f.value,
      median: f.median,
      method: f.method,
      score: jsonScore(f.score),
      threshold: THRESHOLDS[f.method],
    })),
    scores: r.scores.filter((s) => only.size === 0 || only.has(s.jobid)).map((
      s,
    ) => ({
      jobid: s.jobid,
      feature: rawName(s.feature),
      value: s.value,
      ...Object.fromEntries(
        Object.entries(s.scores).map((
          [m, v],
        ) => [m.replace("-", "_"), jsonScore(v)]),
      ),
    })),
  }));
}

/** The results for people: per population a heading and its flags. */
export function resultsText(
  results: PopulationResult[],
  only: Set<string>,
  methods: Method[],
): string {
  const out: string[] = [];
  for (const r of results) {
    const n = r.population.values.size;
    out.push(`${r.population.label}: ${n} job${n === 1 ? "" : "s"}`);
    if (r.skipped) {
      out.push(`  not judged: ${r.skipped}`, "");
      continue;
    }
    const flags = r.flags.filter((f) => only.size === 0 || only.has(f.jobid));
    if (flags.length === 0) {
      out.push(
        `  no outliers in ${r.features.join(", ")}${
          only.size ? ` for ${[...only].join(", ")}` : ""
        }`,
      );
    } else {
      flags.sort((a, b) =>
        a.jobid.localeCompare(b.jobid) || a.feature.localeCompare(b.feature) ||
        methods.indexOf(a.method) - methods.indexOf(b.method)
      );
      out.push(renderTable(
        [
          { title: "JOBID" },
          { title: "FEATURE" },
          { title: "VALUE", align: "right" },
          { title: "MEDIAN", align: "right" },
          { title: "METHOD" },
          { title: "SCORE", align: "right" },
          { title: "LIMIT", align: "right" },
        ],
        flags.map((f) => [
          shorten(f.jobid, 32),
          f.feature,
          humanMetric(f.feature, f.value),
          humanMetric(f.feature, f.median),
          f.method,
          humanRatio(f.score),
          String(THRESHOLDS[f.method]),
        ]),
        "  ",
      ));
    }
    if (methods.includes("zscore") && n <= 10) {
      out.push(
        `  (zscore cannot pass 3 with ${n} jobs: |z| <= sqrt(n - 1) = ${
          Math.sqrt(n - 1).toFixed(2)
        })`,
      );
    }
    out.push("");
  }
  return out.join("\n").trimEnd();
}

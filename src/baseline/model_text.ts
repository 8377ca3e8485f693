/**
 * Reference models for people (aligned tables with units) and for scripts
 * (--json: raw values, units in the metric names where they have one).
 */
import { humanTime, isoTime, shorten } from "../query/mod.ts";
import { humanMetric, rawName } from "../query/mod.ts";
import { renderTable } from "../query/mod.ts";
import type { RefModel, Stats } from "./model.ts";
import type { ModelHead } from "./refmodels.ts";

function scopeText(m: ModelHead): string {
  const exp = m.exp_name
    ? `${m.exp_name}${m.exp_component ? "/" + m.exp_component : ""}`
    : "-";
  return exp;
}

function tagsText(tags: Record<string, string>): string {
  const t = Object.entries(tags).map(([k, v]) => `${k}:${v}`).join(";");
  return t || "-";
}

/** `refmodel list` as a table. */
export function listText(models: readonly ModelHead[]): string {
  if (models.length === 0) return "no reference models (epmt refmodel create)";
  return renderTable(
    [
      { title: "NAME" },
      { title: "CREATED" },
      { title: "EXPERIMENT" },
      { title: "TAGS" },
      { title: "JOBS", align: "right" },
    ],
    models.map((m) => [
      shorten(m.name, 32),
      humanTime(m.created_us),
      scopeText(m),
      shorten(tagsText(m.tags), 40),
      String(m.jobids.length),
    ]),
  );
}

/** A model head for --json. */
export function headRecord(m: ModelHead): Record<string, unknown> {
  return {
    name: m.name,
    created: isoTime(m.created_us),
    created_us: m.created_us,
    exp_name: m.exp_name,
    exp_component: m.exp_component,
    tags: m.tags,
    op_key: m.op_key,
    num_jobs: m.jobids.length,
    jobids: m.jobids,
  };
}

function statsRecord(stats: Stats): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stats).map(([k, v]) => [rawName(k), v]),
  );
}

/** A whole model for --json (statistics keyed by metric, units in names). */
export function modelRecord(m: RefModel): Record<string, unknown> {
  const groups = (g: Record<string, Stats>) =>
    Object.fromEntries(Object.entries(g).map(([k, v]) => [k, statsRecord(v)]));
  return {
    ...headRecord(m),
    job: statsRecord(m.stats.job),
    ops: groups(m.stats.ops),
    exes: groups(m.stats.exes),
  };
}

/** `refmodel show` for people: a header, then one line per feature. */
export function modelText(m: RefModel): string {
  const head = [
    `reference model ${m.name}`,
    `  created     ${humanTime(m.created_us)}`,
    `  experiment  ${scopeText(m)}`,
    `  tags        ${tagsText(m.tags)}`,
    `  ops         process tag ${m.op_key}`,
    `  jobs        ${m.jobids.length}: ${shorten(m.jobids.join(" "), 200)}`,
    "",
  ];
  const rows: string[][] = [];
  const add = (scope: string, stats: Stats) => {
    for (const [metric, s] of Object.entries(stats)) {
      const h = (v: number) => humanMetric(metric, v);
      rows.push([
        scope,
        metric,
        String(s.n),
        h(s.median),
        h(s.mad),
        h(s.q1),
        h(s.q3),
        h(s.mean),
        h(s.std),
        h(s.min),
        h(s.max),
      ]);
    }
  };
  add("job", m.stats.job);
  for (const [op, s] of Object.entries(m.stats.ops)) {
    add(`${m.op_key}:${op}`, s);
  }
  for (const [exe, s] of Object.entries(m.stats.exes)) add(`exe:${exe}`, s);
  const table = renderTable(
    [
      { title: "SCOPE" },
      { title: "METRIC" },
      { title: "N", align: "right" },
      { title: "MEDIAN", align: "right" },
      { title: "MAD", align: "right" },
      { title: "Q1", align: "right" },
      { title: "Q3", align: "right" },
      { title: "MEAN", align: "right" },
      { title: "STD", align: "right" },
      { title: "MIN", align: "right" },
      { title: "MAX", align: "right" },
    ],
    rows.map((r) => [shorten(r[0], 28), ...r.slice(1)]),
  );
  return [...head, table].join("\n");
}

/**
 * Outliers against a model, stragglers and root causes for people
 * (aligned tables, values with units) and for scripts (--json: raw values,
 * metric names with their unit as `epmt outliers` gives them).
 */
import { humanRatio, shorten } from "../query/mod.ts";
import { humanMetric, rawName } from "../query/mod.ts";
import { THRESHOLDS } from "../query/mod.ts";
import { renderTable } from "../query/mod.ts";
import type { Flag } from "./judge.ts";
import type { RefModel } from "./model.ts";
import type { Separation } from "./multivariate.ts";
import { MULTIVARIATE } from "./summary.ts";
import type { ProcFlag } from "./procs.ts";
import type { RcaResult } from "./rca.ts";

/** JSON has no Infinity: scores against a zero spread become strings. */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v)
    ? v
    : Number.isNaN(v)
    ? "nan"
    : v > 0
    ? "inf"
    : "-inf";
}

function limitOf(method: string): number {
  return method === MULTIVARIATE
    ? 1
    : THRESHOLDS[method as keyof typeof THRESHOLDS];
}

function scope(f: { op?: string; exe?: string }, opKey: string): string {
  return f.op !== undefined
    ? `${opKey}:${f.op}`
    : f.exe !== undefined
    ? `exe:${f.exe}`
    : "job";
}

/** A value of `feature` for a table (the Mahalanobis distance is a number). */
function human(feature: string, v: number): string {
  return feature === "job" ? humanRatio(v) : humanMetric(feature, v);
}

/** The flags for --json: one object per flag. */
export function flagsRecord(flags: readonly Flag[]): unknown[] {
  return flags.map((f) => ({
    jobid: f.jobid,
    ...(f.op !== undefined ? { op: f.op } : {}),
    ...(f.exe !== undefined ? { exe: f.exe } : {}),
    feature: f.feature === "job" ? "job" : rawName(f.feature),
    value: f.value,
    median: f.median,
    method: f.method,
    score: jsonNumber(f.score),
    threshold: limitOf(f.method),
  }));
}

/**
 * The flags for people: per judged job one line per feature that stands
 * out, with each method's score (* beyond its limit), most deviant first.
 */
export function flagsText(
  model: RefModel,
  jobids: readonly string[],
  flags: readonly Flag[],
): string {
  const exp = model.exp_name
    ? `, ${model.exp_name}${
      model.exp_component ? "/" + model.exp_component : ""
    }`
    : "";
  const out = [
    `against reference model ${model.name} (${model.jobids.length} training jobs${exp})`,
    "",
  ];
  const methods = [...new Set(flags.map((f) => f.method))].filter((m) =>
    m !== MULTIVARIATE
  );
  for (const id of jobids) {
    const mine = flags.filter((f) => f.jobid === id);
    if (mine.length === 0) {
      out.push(`${id}: no outliers`, "");
      continue;
    }
    const rows = new Map<string, { f: Flag; by: Map<string, number> }>();
    for (const f of mine) {
      if (f.method === MULTIVARIATE) continue;
      const key = `${scope(f, model.op_key)}\0${f.feature}`;
      if (!rows.has(key)) rows.set(key, { f, by: new Map() });
      rows.get(key)!.by.set(f.method, f.score);
    }
    const worst = (r: { by: Map<string, number> }) =>
      Math.max(...[...r.by].map(([m, v]) => Math.abs(v) / limitOf(m)));
    const sorted = [...rows.values()].sort((a, b) => worst(b) - worst(a));
    const distance = mine.find((f) => f.method === MULTIVARIATE);
    const parts: string[] = [];
    if (rows.size) {
      parts.push(
        `${rows.size} feature${rows.size === 1 ? "" : "s"} stand${
          rows.size === 1 ? "s" : ""
        } out`,
      );
    }
    if (distance) {
      parts.push(
        `robust Mahalanobis distance ${humanRatio(distance.value)} (limit ${
          humanRatio(distance.value / distance.score)
        })`,
      );
    }
    out.push(`${id}: ${parts.join("; ")}`);
    if (sorted.length === 0) {
      out.push("");
      continue;
    }
    out.push(renderTable(
      [
        { title: "SCOPE" },
        { title: "FEATURE" },
        { title: "VALUE", align: "right" },
        { title: "MEDIAN", align: "right" },
        { title: "RATIO", align: "right" },
        ...methods.map((m) => ({
          title: m.toUpperCase(),
          align: "right" as const,
        })),
      ],
      sorted.map(({ f, by }) => [
        shorten(scope(f, model.op_key), 28),
        f.feature,
        human(f.feature, f.value),
        human(f.feature, f.median),
        f.median === 0 ? "-" : `${humanRatio(f.value / f.median)}x`,
        ...methods.map((m) => by.has(m) ? `${humanRatio(by.get(m)!)}*` : "-"),
      ]),
      "  ",
    ));
    out.push("");
  }
  if (methods.length && flags.length) {
    out.push(
      `(* beyond the limit: ${
        methods.map((m) => `${m} ${limitOf(m)}`).join(", ")
      }; - within it)`,
    );
  }
  return out.join("\n").trimEnd();
}

/** Stragglers for --json: one object per flag, pid (and tid) included. */
export function procFlagsRecord(
  jobid: string,
  flags: readonly ProcFlag[],
): unknown[] {
  return flags.map((f) => ({
    jobid,
    pid: f.pid,
    ...(f.tid !== undefined ? { tid: f.tid } : {}),
    host: f.host,
    exe: f.exe,
    ...(f.mpirank !== undefined ? { mpirank: f.mpirank } : {}),
    group: f.group,
    siblings: f.siblings,
    feature: rawName(f.feature),
    value: f.value,
    median: f.median,
    method: f.method,
    score: jsonNumber(f.score),
    threshold: THRESHOLDS[f.method],
  }));
}

/** Stragglers for people. */
export function procFlagsText(
  jobid: string,
  what: string,
  flags: readonly ProcFlag[],
): string {
  if (flags.length === 0) {
    return `job ${jobid}: no ${what} stand out among their siblings`;
  }
  const threads = flags.some((f) => f.tid !== undefined);
  return [
    `job ${jobid}: ${what} that stand out among their siblings`,
    renderTable(
      [
        { title: "GROUP" },
        { title: "N", align: "right" },
        { title: "PID", align: "right" },
        ...(threads ? [{ title: "TID", align: "right" as const }] : []),
        { title: "RANK", align: "right" },
        { title: "HOST" },
        { title: "FEATURE" },
        { title: "VALUE", align: "right" },
        { title: "MEDIAN", align: "right" },
        { title: "METHOD" },
        { title: "SCORE", align: "right" },
      ],
      flags.map((f) => [
        shorten(f.group, 28),
        String(f.siblings),
        String(f.pid),
        ...(threads ? [String(f.tid ?? "")] : []),
        f.mpirank === undefined ? "-" : String(f.mpirank),
        shorten(f.host, 20),
        f.feature,
        humanMetric(f.feature, f.value),
        humanMetric(f.feature, f.median),
        f.method,
        humanRatio(f.score),
      ]),
      "  ",
    ),
  ].join("\n");
}

/** The ranking for --json: an ordered list, most deviant first. */
export function rcaRecord(r: RcaResult): unknown[] {
  return r.ranking.map((c, i) => ({
    rank: i + 1,
    ...(c.op !== undefined ? { op: c.op } : {}),
    ...(c.exe !== undefined ? { exe: c.exe } : {}),
    feature: rawName(c.feature),
    value: c.value,
    median: c.median,
    ratio: jsonNumber(c.ratio),
    score: jsonNumber(c.score),
    zscore: jsonNumber(c.zscore),
    iqr: jsonNumber(c.iqr),
    ...(c.op !== undefined && c.feature === "duration" && r.wall &&
        r.wall.extra > 0
      ? {
        wall_share: (c.value - c.median) / r.wall.extra,
        ...(c.op === r.wall.op?.op && r.stragglers
          ? {
            stragglers: r.stragglers.map((f) => ({
              pid: f.pid,
              host: f.host,
              exe: f.exe,
              ...(f.mpirank !== undefined ? { mpirank: f.mpirank } : {}),
              duration_us: f.value,
              median_us: f.median,
              score: jsonNumber(f.score),
            })),
          }
          : {}),
      }
      : {}),
  }));
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** The ranking for people: what took the wall time, then the top `limit`. */
export function rcaText(
  r: RcaResult,
  against: string,
  opKey: string,
  limit: number,
): string {
  const out = [`root cause of job ${r.jobid}, against ${against}`];
  const w = r.wall;
  if (w) {
    const dur = (v: number) => humanMetric("duration", v);
    let line = `wall time ${dur(w.value)}, median ${dur(w.median)}`;
    if (w.extra > 0) {
      line += `: ${dur(w.extra)} more`;
      line += w.op
        ? `; ${opKey} ${w.op.op} explains ${percent(w.op.share)} of it (${
          dur(w.op.value)
        }, median ${dur(w.op.median)})`
        : "; no op took longer than its median";
    } else line += ": not longer than usual";
    out.push(line);
    for (const f of r.stragglers ?? []) {
      out.push(
        `  in it, pid ${f.pid}${
          f.mpirank !== undefined ? ` (MPI rank ${f.mpirank})` : ""
        } on ${f.host} ran ${dur(f.value)}, its ${
          f.siblings - 1
        } siblings' median ${dur(f.median)}`,
      );
    }
  }
  out.push("");
  const shown = limit > 0 ? r.ranking.slice(0, limit) : r.ranking;
  out.push(renderTable(
    [
      { title: "RANK", align: "right" },
      { title: "SCOPE" },
      { title: "FEATURE" },
      { title: "VALUE", align: "right" },
      { title: "MEDIAN", align: "right" },
      { title: "RATIO", align: "right" },
      { title: "SCORE", align: "right" },
    ],
    shown.map((c, i) => [
      String(i + 1),
      shorten(scope(c, opKey), 28),
      c.feature,
      humanMetric(c.feature, c.value),
      humanMetric(c.feature, c.median),
      `${humanRatio(c.ratio)}x`,
      humanRatio(c.score),
    ]),
  ));
  if (shown.length < r.ranking.length) {
    out.push(`(${r.ranking.length - shown.length} more; --limit 0 shows all)`);
  }
  return out.join("\n");
}

/** The PCA ranking for --json. */
export function pcaRecord(jobid: string, s: readonly Separation[]): unknown[] {
  return s.map((x, i) => ({
    rank: i + 1,
    jobid,
    feature: rawName(x.feature),
    value: x.value,
    median: x.median,
    z: jsonNumber(x.z),
    contribution: jsonNumber(x.contribution),
    share: x.share,
  }));
}

/** The PCA ranking for people. */
export function pcaText(
  jobid: string,
  s: readonly Separation[],
  limit: number,
): string {
  const shown = limit > 0 ? s.slice(0, limit) : s;
  return [
    `job metrics separating job ${jobid} from the training jobs (PCA)`,
    renderTable(
      [
        { title: "RANK", align: "right" },
        { title: "FEATURE" },
        { title: "VALUE", align: "right" },
        { title: "MEDIAN", align: "right" },
        { title: "Z", align: "right" },
        { title: "SHARE", align: "right" },
      ],
      shown.map((x, i) => [
        String(i + 1),
        x.feature,
        humanMetric(x.feature, x.value),
        humanMetric(x.feature, x.median),
        humanRatio(x.z),
        percent(x.share),
      ]),
    ),
  ].join("\n");
}

/**
 * The report as one HTML page: the header and tables are written here, the
 * charts are drawn in the browser by client.js from the data embedded in
 * the page. A Content-Security-Policy forbids the page any network access,
 * so a report opened from a mail attachment fetches nothing.
 */
import type { GroupSum, JobHeader, MetricRow, ReportData } from "./data.ts";
import {
  exitText,
  humanCount,
  humanDuration,
  humanMetric,
  humanRatio,
} from "../query/mod.ts";
import { CHART_LIBRARY, CHART_LIBRARY_NAME } from "./chart_lib.ts";
import CLIENT from "./client.js" with { type: "text" };
import STYLE from "./style.css" with { type: "text" };

/** Flags shown in the header at most. */
const MAX_FLAGS = 12;

/** How the page gets the chart library. */
export interface PageOptions {
  /**
   * A URL (same origin) to load the chart library from, instead of
   * inlining it: `epmt serve` does so, to send it once and let the
   * browser cache it.
   */
  libraryUrl?: string;
  /** Links to other pages (epmt serve): a header bar. */
  nav?: string;
}

/** Text made safe inside HTML elements and quoted attributes. */
export function esc(s: unknown): string {
  return String(s ?? "").replace(
    /[&<>"']/g,
    (c) => `&#${c.charCodeAt(0)};`,
  );
}

/** A time, µs since the epoch, in UTC to the second. */
export function utcTime(us: number | null): string {
  if (us === null || !Number.isFinite(us)) return "-";
  return new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)
    .replace("T", " ") + " UTC";
}

/**
 * A whole page: `body` (HTML) with the style, the data (`data`, embedded
 * as JSON for client.js) and the scripts; a page without charts (`data`
 * null) has no script at all. Only inline scripts and styles
 * are allowed (and the library URL's origin when one is given).
 */
export function page(
  title: string,
  body: string,
  data: unknown | null,
  opts: PageOptions = {},
): string {
  const scriptSrc = opts.libraryUrl
    ? "'self' 'unsafe-inline'"
    : "'unsafe-inline'";
  const csp =
    `default-src 'none'; script-src ${scriptSrc}; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'self'`;
  const lib = opts.libraryUrl
    ? `<script src="${esc(opts.libraryUrl)}"></script>`
    : `<script>${scriptText(CHART_LIBRARY)}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="epmt (charts: ${esc(CHART_LIBRARY_NAME)})">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body${data === null ? ' data-rendered="0"' : ""}>
${opts.nav ?? ""}<main>
${body}
</main>
${
    data === null
      ? ""
      : `<script type="application/json" id="epmt-data">${
        jsonText(data)
      }</script>
${lib}
<script>${scriptText(CLIENT)}</script>
`
  }</body>
</html>
`;
}

/** JSON that cannot end its <script> element early. */
function jsonText(data: unknown): string {
  return JSON.stringify(data).replace(/</g, "\\u003c").replace(
    /\u2028|\u2029/g,
    (c) => c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

/** Script text that cannot end its <script> element early. */
function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1");
}

/** The page of one job. */
export function reportPage(r: ReportData, opts: PageOptions = {}): string {
  const title = `epmt job ${r.job.jobid}${
    r.job.jobname ? ` (${r.job.jobname})` : ""
  }`;
  const body = `<h1>${esc(title)}</h1>
${reportSections(r, 0)}
<footer>Made by epmt on ${esc(utcTime(r.made_us))}. Charts: ${
    esc(CHART_LIBRARY_NAME)
  }, inlined; this file needs no network.</footer>`;
  return page(title, body, { kind: "report", reports: [r] }, opts);
}

/** Two jobs side by side, and their metrics against each other. */
export function comparePage(
  a: ReportData,
  b: ReportData,
  opts: PageOptions = {},
): string {
  const title = `epmt: job ${a.job.jobid} vs ${b.job.jobid}`;
  const body = `<h1>${esc(title)}</h1>
<section><h2>Metrics, side by side</h2>${compareTable(a, b)}</section>
<div class="side-by-side">
<div>${reportSections(a, 0)}</div>
<div>${reportSections(b, 1)}</div>
</div>
<footer>Made by epmt on ${esc(utcTime(a.made_us))}. Charts: ${
    esc(CHART_LIBRARY_NAME)
  }, inlined; this file needs no network.</footer>`;
  return page(title, body, { kind: "report", reports: [a, b] }, opts);
}

/** The sections of one job's report; `k` numbers its chart elements. */
function reportSections(r: ReportData, k: number): string {
  const g = r.gantt;
  const ganttHeight = Math.min(
    900,
    Math.max(160, 60 + g.rows.reduce((s, n) => s + 10 + 8 * n, 0)),
  );
  const barHeight = (rows: GroupSum[]) => Math.max(140, 50 + 26 * rows.length);
  return `<section class="job">
${headerHtml(r.job)}
</section>
<section>
<h2>Timeline <small>(processes by ${g.by === "op" ? "op tag" : "executable"}, ${
    humanCount(g.shown)
  } of ${humanCount(g.total)} drawn${
    g.crit.some((c) => c === 1) ? "; critical path outlined in red" : ""
  })</small></h2>
${g.note ? `<p class="note">${esc(g.note)}</p>` : ""}
<div class="chart" id="gantt-${k}" style="height:${ganttHeight}px"></div>
</section>
<section>
<h2>Where the time went <small>(cpu summed, wall = time any was running)</small></h2>
<div class="two">
<div><h3>Per op</h3><div class="chart" id="byop-${k}" style="height:${
    barHeight(r.byOp)
  }px"></div></div>
<div><h3>Per executable</h3><div class="chart" id="byexe-${k}" style="height:${
    barHeight(r.byExe)
  }px"></div></div>
</div>
</section>
<section>
<h2>Process tree <small>(inclusive cpu; click to zoom, centre to go back)</small></h2>
<p class="note">${esc(r.treeNote)}</p>
<div class="chart" id="tree-${k}" style="height:520px"></div>
</section>
<section>
<h2>Metrics</h2>
${metricsTable(r.metrics)}
</section>`;
}

function headerHtml(j: JobHeader): string {
  const rows: [string, string][] = [
    ["job id", j.jobid],
    ["name", j.jobname || "-"],
    ["user", j.username || "-"],
    ["hosts", j.hosts.join(", ") || "-"],
    ["start", utcTime(j.start_us)],
    ["end", utcTime(j.end_us)],
    ["wall", humanDuration(j.duration_us)],
    ["cpu", humanDuration(j.cpu_time_us)],
    [
      "cpu / wall",
      j.cpu_time_us !== null && j.duration_us
        ? humanRatio(j.cpu_time_us / j.duration_us)
        : "-",
    ],
    ["exit status", exitText(j.exitcode, 0)],
    [
      "processes",
      `${humanCount(j.num_procs)} (${humanCount(j.num_threads)} threads)`,
    ],
  ];
  if (j.exp_name || j.exp_component || j.exp_oname) {
    rows.push(["experiment", j.exp_name || "-"]);
    rows.push(["component", j.exp_component || "-"]);
    rows.push(["oname", j.exp_oname || "-"]);
  }
  const tags = Object.entries(j.tags);
  if (tags.length) {
    rows.push(["tags", tags.map(([k, v]) => `${k}:${text(v)}`).join("; ")]);
  }
  for (const [k, v] of Object.entries(j.annotations)) {
    rows.push([`annotation ${k}`, text(v)]);
  }
  if (j.model !== null) rows.push(["reference model", j.model]);
  if (j.efficiency !== null) {
    rows.push(["efficiency", `${(j.efficiency * 100).toFixed(1)} %`]);
  }
  const badges = [
    ...(j.verdict ? [`<span class="verdict">${esc(j.verdict)}</span>`] : []),
    ...j.flags.slice(0, MAX_FLAGS).map((f) =>
      `<span class="flag">${esc(f)}</span>`
    ),
    ...(j.flags.length > MAX_FLAGS
      ? [`<span class="flag">${j.flags.length - MAX_FLAGS} more flags</span>`]
      : []),
    ...(j.exitcode
      ? [`<span class="flag">exit ${esc(j.exitcode)}</span>`]
      : []),
  ];
  return `<h2>Job ${esc(j.jobid)}</h2>
${badges.length ? `<p class="badges">${badges.join(" ")}</p>` : ""}
<dl class="header">${
    rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")
  }</dl>`;
}

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function metricsTable(rows: MetricRow[]): string {
  const model = rows.some((r) => r.model);
  const head = `<tr><th>metric</th><th>value</th>${
    model ? "<th>model median</th><th>model band</th><th></th>" : ""
  }</tr>`;
  const body = rows.map((r) => {
    const m = r.model;
    const out = m && r.value !== null &&
      (r.value < m.low || r.value > m.high);
    return `<tr${out ? ' class="out"' : ""}><td>${esc(r.name)}</td><td>${
      esc(humanMetric(r.name, r.value))
    }</td>${
      model
        ? m
          ? `<td>${esc(humanMetric(r.name, m.median))}</td><td>${
            esc(humanMetric(r.name, m.low))
          } – ${esc(humanMetric(r.name, m.high))}</td><td>${
            out ? "outside" : "inside"
          }</td>`
          : "<td>-</td><td>-</td><td></td>"
        : ""
    }</tr>`;
  }).join("\n");
  return `<table class="metrics"><thead>${head}</thead><tbody>
${body}
</tbody></table>`;
}

function compareTable(a: ReportData, b: ReportData): string {
  const names = [
    ...new Set([...a.metrics, ...b.metrics].map((m) => m.name)),
  ];
  const value = (r: ReportData, n: string) =>
    r.metrics.find((m) => m.name === n)?.value ?? null;
  const rows = names.map((n) => {
    const x = value(a, n);
    const y = value(b, n);
    const ratio = x !== null && y !== null && x !== 0 ? y / x : null;
    return `<tr><td>${esc(n)}</td><td>${esc(humanMetric(n, x))}</td><td>${
      esc(humanMetric(n, y))
    }</td><td>${esc(humanRatio(ratio))}</td></tr>`;
  }).join("\n");
  return `<table class="metrics"><thead><tr><th>metric</th><th>${
    esc(a.job.jobid)
  }</th><th>${esc(b.job.jobid)}</th><th>ratio</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

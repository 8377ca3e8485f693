/**
 * The pages of `epmt serve` that are not a job's report: the job list,
 * the experiments, one experiment's metric over time, and error pages.
 * Every value shown is escaped; every link is built with
 * encodeURIComponent.
 */
import type { Row } from "../db/mod.ts";
import { esc, page, type PageOptions, utcTime } from "../report/mod.ts";
import { exitText, humanCount, humanDuration } from "../query/mod.ts";

/** The bar of links at the top of every served page. */
export const NAV = `<nav><a href="/">jobs</a><a href="/exp">experiments</a>` +
  `<a href="/compare">compare</a></nav>\n`;

/** The library's URL on the server (served once, cached by the browser). */
export const LIBRARY_URL = "/assets/echarts.min.js";

/** Page options of served pages. */
export const SERVED: PageOptions = { libraryUrl: LIBRARY_URL, nav: NAV };

/** A link to a job's page. */
export function jobLink(jobid: string): string {
  return `<a href="/job/${encodeURIComponent(jobid)}">${esc(jobid)}</a>`;
}

/** The filters of the job list, as given (for the form and the pager). */
export interface ListQuery {
  user?: string;
  exp?: string;
  tag?: string;
  after?: string;
  before?: string;
  limit: number;
  offset: number;
}

/**
 * The job list: a filter form, the jobs (flagged ones marked), and a
 * pager.
 */
export function jobListPage(
  q: ListQuery,
  rows: Row[],
  total: number,
  flagged: ReadonlySet<string>,
): string {
  const field = (name: keyof ListQuery, label: string, hint: string) =>
    `<label>${esc(label)}<input name="${name}" value="${
      esc(q[name] ?? "")
    }" placeholder="${esc(hint)}" maxlength="256"></label>`;
  const form = `<form class="filters" method="get" action="/">
${field("user", "user", "name")}
${field("exp", "experiment", "exp_name")}
${field("tag", "tag", "k:v")}
${field("after", "started after", "2026-11-25, 3d")}
${field("before", "started before", "today")}
<label>per page<input name="limit" value="${q.limit}" size="4"></label>
<button type="submit">list</button>
</form>`;
  const body = rows.length === 0
    ? `<p>No jobs${total > 0 ? " on this page" : ""}.</p>`
    : `<table class="jobs"><thead><tr><th>job</th><th>name</th><th>user</th><th>start (UTC)</th><th class="num">wall</th><th class="num">procs</th><th class="num">cpu</th><th class="num">exit</th><th>experiment</th></tr></thead><tbody>
${
      rows.map((r) => {
        const id = String(r.jobid);
        const flag = flagged.has(id);
        return `<tr${flag ? ' class="flagged"' : ""}><td>${jobLink(id)}${
          flag ? " ⚑" : ""
        }</td><td>${esc(r.jobname ?? "")}</td><td>${
          esc(r.username ?? "")
        }</td><td>${
          esc(utcTime(r.start_us as number | null))
        }</td><td class="num">${
          esc(humanDuration(r.duration_us as number | null))
        }</td><td class="num">${
          esc(humanCount(r.num_procs as number | null))
        }</td><td class="num">${
          esc(humanDuration(r.cpu_time as number | null))
        }</td><td class="num">${
          esc(exitText(r.exitcode as number | null, 0))
        }</td><td>${expLink(r)}</td></tr>`;
      }).join("\n")
    }
</tbody></table>`;
  return page(
    "epmt: jobs",
    `<h1>Jobs <small>(${humanCount(total)} match${
      flagged.size ? "; flagged first" : ""
    })</small></h1>
${form}
${body}
${pager(q, rows.length, total)}`,
    null,
    SERVED,
  );
}

function expLink(r: Row): string {
  const name = String(r.exp_name ?? "");
  if (!name) return "";
  const comp = String(r.exp_component ?? "");
  return `<a href="/exp?name=${encodeURIComponent(name)}&amp;component=${
    encodeURIComponent(comp)
  }">${esc(name)}${comp ? ` / ${esc(comp)}` : ""}</a>`;
}

function pager(q: ListQuery, shown: number, total: number): string {
  const link = (offset: number, text: string) => {
    const p = new URLSearchParams();
    for (const k of ["user", "exp", "tag", "after", "before"] as const) {
      if (q[k] !== undefined) p.set(k, q[k]!);
    }
    p.set("limit", String(q.limit));
    p.set("offset", String(offset));
    return `<a href="/?${esc(p.toString())}">${text}</a>`;
  };
  const parts = [];
  if (q.offset > 0) {
    parts.push(link(Math.max(0, q.offset - q.limit), "← newer"));
  }
  if (q.offset + shown < total) {
    parts.push(link(q.offset + q.limit, "older →"));
  }
  const range = shown
    ? `jobs ${humanCount(q.offset + 1)}–${humanCount(q.offset + shown)} of ${
      humanCount(total)
    }`
    : "";
  return `<p class="pager">${range} ${parts.join(" ")}</p>`;
}

/** The experiments: name, component, how many jobs, the last start. */
export function experimentsPage(rows: Row[]): string {
  const body = rows.length === 0
    ? "<p>No job has experiment fields.</p>"
    : `<table><thead><tr><th>experiment</th><th>component</th><th class="num">jobs</th><th>last start (UTC)</th></tr></thead><tbody>
${
      rows.map((r) =>
        `<tr><td>${expLink(r)}</td><td>${
          esc(r.exp_component ?? "")
        }</td><td class="num">${esc(humanCount(r.n as number))}</td><td>${
          esc(utcTime(r.last as number | null))
        }</td></tr>`
      ).join("\n")
    }
</tbody></table>`;
  return page(
    "epmt: experiments",
    `<h1>Experiments</h1>\n${body}`,
    null,
    SERVED,
  );
}

/** One point of an experiment's metric over time. */
export interface ExpPoint {
  jobid: string;
  start_us: number;
  value: number;
}

/** What the experiment page shows. */
export interface ExpView {
  name: string;
  component: string;
  metric: string;
  metrics: readonly string[];
  unit: string;
  points: ExpPoint[];
  /** The reference model's band for this metric, when one exists. */
  band: { median: number; low: number; high: number; model: string } | null;
  /** How many jobs there are, when more than are drawn. */
  total: number;
}

/** An experiment's metric over time, with the model band when known. */
export function experimentPage(v: ExpView): string {
  const options = v.metrics.map((m) =>
    `<option${m === v.metric ? " selected" : ""}>${esc(m)}</option>`
  ).join("");
  const title = `epmt: ${v.name}${v.component ? " / " + v.component : ""}`;
  const body = `<h1>Experiment ${esc(v.name)}${
    v.component ? ` / ${esc(v.component)}` : ""
  } <small>(${humanCount(v.points.length)} jobs${
    v.total > v.points.length ? ` of ${humanCount(v.total)}, the newest` : ""
  })</small></h1>
<form class="filters" method="get" action="/exp">
<input type="hidden" name="name" value="${esc(v.name)}">
<input type="hidden" name="component" value="${esc(v.component)}">
<label>metric<select name="metric">${options}</select></label>
<button type="submit">show</button>
</form>
<p class="note">${
    v.band
      ? `The green band is reference model ${
        esc(v.band.model)
      }'s band (where the modified z-score stays within 3.5), the dashed line its median.`
      : "No reference model covers this experiment."
  } Click a point to open its job.</p>
<div class="chart" id="experiment" style="height:460px"></div>
<h2>Jobs</h2>
<table class="metrics"><thead><tr><th>job</th><th>start (UTC)</th><th>${
    esc(v.metric)
  }${v.unit ? ` (${esc(v.unit)})` : ""}</th></tr></thead><tbody>
${
    [...v.points].reverse().slice(0, 200).map((p) =>
      `<tr><td>${jobLink(p.jobid)}</td><td>${
        esc(utcTime(p.start_us))
      }</td><td>${esc(p.value.toPrecision(6))}</td></tr>`
    ).join("\n")
  }
</tbody></table>`;
  return page(title, body, {
    kind: "experiment",
    metric: v.metric,
    unit: v.unit,
    points: v.points,
    band: v.band,
    linkBase: "/job/",
  }, SERVED);
}

/** The compare form (no jobs given yet). */
export function compareFormPage(): string {
  return page(
    "epmt: compare",
    `<h1>Compare two jobs</h1>
<form class="filters" method="get" action="/compare">
<label>job<input name="a" maxlength="256" required></label>
<label>with job<input name="b" maxlength="256" required></label>
<button type="submit">compare</button>
</form>`,
    null,
    SERVED,
  );
}

/** An error page: the status and one line, never a stack. */
export function errorPage(status: number, message: string): string {
  const what: Record<number, string> = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    414: "Request too long",
    500: "Internal error",
    503: "Unavailable",
  };
  return page(
    `epmt: ${status}`,
    `<h1>${status} ${esc(what[status] ?? "Error")}</h1>
<p>${esc(message)}</p>
<p><a href="/">All jobs</a></p>`,
    null,
    SERVED,
  );
}

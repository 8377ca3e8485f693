/**
 * The request handler of `epmt serve`: a small fixed set of routes, each
 * taking only the parameters it names, read-only queries with every value
 * bound, and error pages that never show a stack.
 */
import type { Row, SqlValue, Store } from "../db/mod.ts";
import {
  bandOf,
  CHART_LIBRARY,
  comparePage,
  loadReport,
  modelFor,
  type ReportData,
  reportExtras,
  reportPage,
} from "../report/mod.ts";
import {
  jobConditions,
  type JobFilter,
  listJobs,
  parseDate,
  parseTag,
  unitOf,
} from "../query/mod.ts";
import { UserError } from "../errors.ts";
import * as log from "../log.ts";
import {
  BadRequest,
  choiceParam,
  intParam,
  MAX_TARGET,
  pathSegment,
  queryParams,
} from "./params.ts";
import {
  compareFormPage,
  errorPage,
  experimentPage,
  experimentsPage,
  jobListPage,
  LIBRARY_URL,
  SERVED,
} from "./pages.ts";

/** The metrics the experiment view can draw (jobs columns or proc_sums). */
export const EXP_METRICS = [
  "duration",
  "cpu_time",
  "num_procs",
  "usertime",
  "systemtime",
  "rssmax_peak",
  "read_bytes",
  "write_bytes",
  "rchar",
  "wchar",
  "majflt",
  "minflt",
  "time_waiting",
] as const;

/** Jobs drawn at most in the experiment view (the newest). */
const EXP_POINTS = 2000;

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/** A handler over `store`, which it only reads. */
export function makeHandler(
  store: Store,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const t0 = performance.now();
    const r = await answer(store, req);
    // -v: one line per request, as an access log.
    if (log.enabled(log.Level.INFO)) {
      log.info(
        `${r.status} ${req.method} ${safePath(req.url)} ${
          (performance.now() - t0).toFixed(1)
        } ms`,
      );
    }
    return r;
  };
}

/** The page for `req`, or an error page: never a stack. */
async function answer(store: Store, req: Request): Promise<Response> {
  try {
    return await route(store, req);
  } catch (e) {
    if (e instanceof BadRequest) {
      return html(e.status, errorPage(e.status, e.message));
    }
    if (e instanceof UserError) return html(400, errorPage(400, e.message));
    // A bug or a lost database: logged here, never shown to the client.
    log.error(
      `serve: ${req.method} ${safePath(req.url)}: ${
        e instanceof Error ? e.stack ?? e.message : String(e)
      }`,
    );
    return html(
      500,
      errorPage(500, "the server failed to answer; its log says why"),
    );
  }
}

function safePath(url: string): string {
  // deno-lint-ignore no-control-regex
  return url.slice(0, 200).replace(/[\x00-\x1f\x7f]/g, "?");
}

async function route(store: Store, req: Request): Promise<Response> {
  if (req.url.length > MAX_TARGET + 64) {
    throw new BadRequest(
      `the request is longer than ${MAX_TARGET} characters`,
      414,
    );
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    const r = html(
      405,
      errorPage(405, `${req.method} is not allowed: this server only reads`),
    );
    r.headers.set("allow", "GET, HEAD");
    return r;
  }
  const url = new URL(req.url);
  const path = url.pathname;
  if (path === "/" || path === "/jobs") return await jobList(store, url);
  if (path === LIBRARY_URL) {
    queryParams(url, []);
    return new Response(CHART_LIBRARY, {
      headers: {
        ...SECURITY_HEADERS,
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=86400",
      },
    });
  }
  const job = /^\/job\/([^/]+)$/.exec(path);
  if (job) {
    queryParams(url, []);
    const id = pathSegment("job id", job[1]);
    const data = await loadReport(store, id, reportExtras);
    if (!data) throw notFound(`job ${id} is not in the database`);
    return html(200, reportPage(data, SERVED));
  }
  if (path === "/compare") return await compare(store, url);
  if (path === "/exp") return await experiment(store, url);
  if (path === "/favicon.ico") return new Response(null, { status: 404 });
  throw notFound(`no page here`);
}

function notFound(message: string): BadRequest {
  return new BadRequest(message, 404);
}

function html(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "text/html; charset=utf-8",
    },
  });
}

async function jobList(store: Store, url: URL): Promise<Response> {
  const q = queryParams(url, [
    "user",
    "exp",
    "tag",
    "after",
    "before",
    "limit",
    "offset",
  ]);
  const limit = intParam("limit", q.limit, 50, 1, 1000);
  const offset = intParam("offset", q.offset, 0, 0, 1_000_000_000);
  const now = Date.now() * 1000;
  const filter: JobFilter = {
    user: q.user,
    exp: q.exp,
    tags: q.tag === undefined ? [] : [parseTag(q.tag)],
    after: q.after === undefined ? undefined : parseDate(q.after, now, "after"),
    before: q.before === undefined
      ? undefined
      : parseDate(q.before, now, "before"),
  };
  const page = await flaggedFirst(store, filter, limit, offset) ??
    await listJobs(store, filter, limit, offset);
  const flagged = new Set(
    page.rows.filter((r) => Number(r.num_flags ?? 0) > 0).map((r) =>
      String(r.jobid)
    ),
  );
  return html(
    200,
    jobListPage({ ...q, limit, offset }, page.rows, page.total, flagged),
  );
}

/**
 * The jobs matching `filter` with those the analysis flagged (table
 * `analyses`, num_flags > 0) first, each part newest first; null when the
 * database has no analyses table.
 */
async function flaggedFirst(
  store: Store,
  filter: JobFilter,
  limit: number,
  offset: number,
): Promise<{ rows: Row[]; total: number } | null> {
  const has = await store.query(
    store.provider === "postgres"
      ? "SELECT 1 AS x WHERE to_regclass('analyses') IS NOT NULL"
      : "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'analyses'",
  );
  if (has.length === 0) return null;
  const where = jobConditions(store.provider, filter);
  const rows = await store.query(
    `SELECT jobs.jobid, jobname, username, exp_name, exp_component, start_us,
            duration_us, exitcode, num_procs, cpu_time, a.num_flags, a.verdict
       FROM jobs LEFT JOIN analyses a ON a.jobid = jobs.jobid
      WHERE ${where.sql}
      ORDER BY CASE WHEN a.num_flags > 0 THEN 0 ELSE 1 END,
               jobs.start_us DESC, jobs.jobid DESC
      LIMIT ${limit} OFFSET ${offset}`,
    where.params,
  );
  const [{ n }] = await store.query<{ n: number }>(
    `SELECT count(*) AS n FROM jobs WHERE ${where.sql}`,
    where.params,
  );
  return { rows, total: Number(n) };
}

async function compare(store: Store, url: URL): Promise<Response> {
  const q = queryParams(url, ["a", "b"]);
  if (q.a === undefined && q.b === undefined) {
    return html(200, compareFormPage());
  }
  if (q.a === undefined || q.b === undefined) {
    throw new BadRequest("name two jobs: /compare?a=JOBID&b=JOBID");
  }
  const reports: ReportData[] = [];
  for (const id of [q.a, q.b]) {
    const d = await loadReport(store, id, reportExtras);
    if (!d) throw notFound(`job ${id} is not in the database`);
    reports.push(d);
  }
  return html(200, comparePage(reports[0], reports[1], SERVED));
}

async function experiment(store: Store, url: URL): Promise<Response> {
  const q = queryParams(url, ["name", "component", "metric"]);
  if (q.name === undefined) {
    if (q.component !== undefined || q.metric !== undefined) {
      throw new BadRequest("name the experiment: /exp?name=NAME");
    }
    const rows = await store.query(
      `SELECT exp_name, exp_component, count(*) AS n, max(start_us) AS last
         FROM jobs WHERE exp_name <> ''
        GROUP BY exp_name, exp_component ORDER BY exp_name, exp_component
        LIMIT 1000`,
    );
    return html(200, experimentsPage(rows));
  }
  const metric = choiceParam("metric", q.metric, EXP_METRICS, "duration");
  const component = q.component ?? "";
  const value = metric === "duration"
    ? { sql: "duration_us", params: [] as SqlValue[] }
    : metric === "cpu_time" || metric === "num_procs"
    ? { sql: metric, params: [] as SqlValue[] }
    : store.provider === "postgres"
    ? { sql: "(proc_sums->>?::text)::float8", params: [metric] as SqlValue[] }
    : { sql: "json_extract(proc_sums, ?)", params: [`$."${metric}"`] };
  const where = "exp_name = ? AND exp_component = ?";
  const rows = await store.query(
    `SELECT jobid, start_us, ${value.sql} AS v FROM jobs WHERE ${where}
      ORDER BY start_us DESC, jobid DESC LIMIT ${EXP_POINTS}`,
    [...value.params, q.name, component],
  );
  if (rows.length === 0) {
    throw notFound(
      `no jobs of experiment ${q.name}${component ? ` / ${component}` : ""}`,
    );
  }
  const [{ n }] = await store.query<{ n: number }>(
    `SELECT count(*) AS n FROM jobs WHERE ${where}`,
    [q.name, component],
  );
  // The model band of the experiment's newest model, in display units.
  const model = await modelFor(store, {
    exp_name: q.name,
    exp_component: component,
    tags: "{}",
  });
  const stats = model?.stats.job[metric];
  const b = stats ? bandOf(stats) : null;
  const band = b
    ? {
      median: display(metric, b.median),
      low: display(metric, b.low),
      high: display(metric, b.high),
      model: model!.name,
    }
    : null;
  const points = rows
    .filter((r) => typeof r.v === "number" && typeof r.start_us === "number")
    .map((r) => ({
      jobid: String(r.jobid),
      start_us: r.start_us as number,
      value: display(metric, r.v as number),
    }))
    .reverse();
  return html(
    200,
    experimentPage({
      name: q.name,
      component,
      metric,
      metrics: EXP_METRICS,
      unit: displayUnit(metric),
      points,
      band,
      total: Number(n),
    }),
  );
}

/** Stored units made readable on a chart axis: µs → s, KiB → MiB. */
function display(metric: string, v: number): number {
  switch (unitOf(metric)) {
    case "us":
      return v / 1e6;
    case "ns":
      return v / 1e9;
    case "kib":
      return v / 1024;
    case "bytes":
      return v / 1024 / 1024;
    default:
      return v;
  }
}

function displayUnit(metric: string): string {
  return { us: "s", ns: "s", kib: "MiB", bytes: "MiB", count: "" }[
    unitOf(metric)
  ];
}

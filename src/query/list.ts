/**
 * `epmt list`: jobs newest first, and `epmt list procs JOBID`: one job's
 * processes. Both are index range scans (jobs_start, jobs_user; the
 * processes primary key), never a pass over every job's processes.
 */
import type { Row, SqlValue, Store } from "../db/mod.ts";
import {
  allOf,
  type Condition,
  type JobFilter,
  objectHasTag,
  type Tag,
} from "./filters.ts";
import { countJobsSql, listJobsSql } from "./sql.ts";
import {
  humanBytes,
  humanCount,
  humanDuration,
  humanTime,
  shorten,
  tagsText,
} from "./format.ts";
import { exitText } from "./status.ts";
import { json, jsonObject } from "./store.ts";
import { renderTable } from "./table.ts";

/** The columns of `list --json` / `--csv`, units in the names. */
export const JOB_LIST_COLUMNS = [
  "jobid",
  "jobname",
  "username",
  "hosts",
  "exp_name",
  "exp_component",
  "exp_oname",
  "start_us",
  "end_us",
  "duration_us",
  "exitcode",
  "num_procs",
  "num_threads",
  "cpu_time_us",
  "tags",
] as const;

/** A page of jobs and how many match in all. */
export interface JobPage {
  rows: Row[];
  total: number;
}

/**
 * Jobs matching `filter`, newest first (by start; ties by id), `limit` of
 * them (0: all) from `offset` on.
 */
export async function listJobs(
  store: Store,
  filter: JobFilter,
  limit: number,
  offset: number,
): Promise<JobPage> {
  const list = listJobsSql(store.provider, filter, limit, offset);
  const rows = await store.query(list.sql, list.params);
  let total = offset + rows.length;
  if (limit > 0 && (rows.length === limit || offset > 0)) {
    const count = countJobsSql(store.provider, filter);
    const [c] = await store.query<{ n: number }>(count.sql, count.params);
    total = Number(c.n);
  }
  return { rows, total };
}

/** A job row of listJobs as raw values with units in the names. */
export function jobRecord(r: Row): Record<string, unknown> {
  return {
    jobid: r.jobid,
    jobname: r.jobname,
    username: r.username,
    hosts: json(r.hosts) ?? [],
    exp_name: r.exp_name,
    exp_component: r.exp_component,
    exp_oname: r.exp_oname,
    start_us: r.start_us,
    end_us: r.end_us,
    duration_us: r.duration_us,
    exitcode: r.exitcode,
    num_procs: r.num_procs,
    num_threads: r.num_threads,
    cpu_time_us: r.cpu_time,
    tags: jsonObject(r.tags),
  };
}

/** The jobs as an aligned table, with a note when more match. */
export function jobsTable(page: JobPage, offset: number): string {
  if (page.rows.length === 0) {
    return page.total > 0
      ? `no jobs past --offset ${offset} (${page.total} match)`
      : "no jobs";
  }
  const table = renderTable(
    [
      { title: "JOBID" },
      { title: "NAME" },
      { title: "USER" },
      { title: "START" },
      { title: "WALL", align: "right" },
      { title: "PROCS", align: "right" },
      { title: "CPU", align: "right" },
      { title: "EXIT", align: "right" },
      { title: "TAGS" },
    ],
    page.rows.map((r) => [
      String(r.jobid),
      shorten(String(r.jobname ?? ""), 32),
      String(r.username ?? ""),
      humanTime(r.start_us as number | null),
      humanDuration(r.duration_us as number | null),
      humanCount(r.num_procs as number | null),
      humanDuration(r.cpu_time as number | null),
      exitText(r.exitcode as number | null, 0),
      shorten(tagsText(jsonObject(r.tags)), 40),
    ]),
  );
  const shown = page.rows.length;
  if (offset === 0 && shown === page.total) return table;
  return `${table}\n(jobs ${humanCount(offset + 1)}-${
    humanCount(offset + shown)
  } of ${humanCount(page.total)}; --limit N, --offset N, --limit 0 for all)`;
}

/** How `list procs` orders: by start, or largest first. */
export type ProcSort = "start" | "cpu" | "duration" | "rss";

const PROC_ORDER: Record<ProcSort, string> = {
  start: "start_us, idx",
  cpu: "cpu_time DESC, idx",
  duration: "duration_us DESC, idx",
  rss: "rssmax DESC, idx",
};

/** What `list procs` selects processes by. */
export interface ProcFilter {
  /** exename, exactly or as a glob with * and ?. */
  exe?: string;
  tags?: Tag[];
}

const PROC_SQL_COLUMNS =
  "idx, parent, depth, host, pid, ppid, exename, args, tags, start_us, end_us, " +
  "duration_us, cpu_time, usertime, systemtime, rssmax, numtids, exitcode, exitsignal";

/** The columns of `list procs --json` / `--csv`, units in the names. */
export const PROC_LIST_COLUMNS = [
  "jobid",
  "idx",
  "parent",
  "depth",
  "host",
  "pid",
  "ppid",
  "exename",
  "args",
  "tags",
  "start_us",
  "end_us",
  "duration_us",
  "cpu_time_us",
  "usertime_us",
  "systemtime_us",
  "rssmax_kib",
  "numtids",
  "exitcode",
  "exitsignal",
] as const;

/** An exename condition: equality, or LIKE for a glob. */
function exeCondition(exe: string): Condition {
  if (!/[*?]/.test(exe)) return { sql: "exename = ?", params: [exe] };
  const like = exe.replace(/[\\%_]/g, (c) => "\\" + c).replaceAll("*", "%")
    .replaceAll("?", "_");
  return { sql: "exename LIKE ? ESCAPE '\\'", params: [like] };
}

/** One job's processes (a page of them) and how many match in all. */
export async function listProcs(
  store: Store,
  jobid: string,
  filter: ProcFilter,
  sort: ProcSort,
  limit: number,
): Promise<JobPage> {
  const conds: Condition[] = [{ sql: "jobid = ?", params: [jobid] }];
  if (filter.exe !== undefined) conds.push(exeCondition(filter.exe));
  for (const t of filter.tags ?? []) {
    conds.push(objectHasTag(store.provider, "tags", t));
  }
  const where = allOf(conds);
  const params: SqlValue[] = where.params;
  const rows = await store.query(
    `SELECT ${PROC_SQL_COLUMNS} FROM processes WHERE ${where.sql}
      ORDER BY ${PROC_ORDER[sort]}${limit > 0 ? ` LIMIT ${limit}` : ""}`,
    params,
  );
  let total = rows.length;
  if (limit > 0 && rows.length === limit) {
    const [c] = await store.query<{ n: number }>(
      `SELECT count(*) AS n FROM processes WHERE ${where.sql}`,
      params,
    );
    total = Number(c.n);
  }
  return { rows, total };
}

/** A process row of listProcs as raw values with units in the names. */
export function procRecord(jobid: string, r: Row): Record<string, unknown> {
  return {
    jobid,
    idx: r.idx,
    parent: r.parent,
    depth: r.depth,
    host: r.host,
    pid: r.pid,
    ppid: r.ppid,
    exename: r.exename,
    args: r.args,
    tags: json(r.tags),
    start_us: r.start_us,
    end_us: r.end_us,
    duration_us: r.duration_us,
    cpu_time_us: r.cpu_time,
    usertime_us: r.usertime,
    systemtime_us: r.systemtime,
    rssmax_kib: r.rssmax,
    numtids: r.numtids,
    exitcode: r.exitcode,
    exitsignal: r.exitsignal,
  };
}

/**
 * The processes as an aligned table. START is the offset from `jobStartUs`
 * (the job's start), which reads better than 200,000 timestamps.
 */
export function procsTable(
  page: JobPage,
  jobStartUs: number | null,
  showHost: boolean,
): string {
  if (page.rows.length === 0) return "no processes";
  const cols = [
    { title: "PID", align: "right" as const },
    ...(showHost ? [{ title: "HOST" }] : []),
    { title: "EXE" },
    { title: "ARGS" },
    { title: "START", align: "right" as const },
    { title: "DURATION", align: "right" as const },
    { title: "CPU", align: "right" as const },
    { title: "RSS", align: "right" as const },
    { title: "THR", align: "right" as const },
    { title: "EXIT", align: "right" as const },
    { title: "TAGS" },
  ];
  const table = renderTable(
    cols,
    page.rows.map((r) => [
      String(r.pid),
      ...(showHost ? [String(r.host ?? "")] : []),
      shorten(String(r.exename ?? ""), 24),
      shorten(String(r.args ?? ""), 40),
      jobStartUs === null || r.start_us === null
        ? "-"
        : offsetText((r.start_us as number) - jobStartUs),
      humanDuration(r.duration_us as number | null),
      humanDuration(r.cpu_time as number | null),
      r.rssmax === null ? "-" : humanBytes((r.rssmax as number) * 1024),
      humanCount(r.numtids as number | null),
      exitText(r.exitcode as number | null, r.exitsignal as number | null),
      shorten(tagsText(jsonObject(r.tags)), 30),
    ]),
  );
  if (page.rows.length === page.total) return table;
  return `${table}\n(${humanCount(page.rows.length)} of ${
    humanCount(page.total)
  } processes; --limit N, --limit 0 for all)`;
}

/** A time after (+) or before (-) the job's start. */
function offsetText(us: number): string {
  return us < 0 ? humanDuration(us) : "+" + humanDuration(us);
}

/**
 * `epmt show JOBID`: one screen about a job, in the spirit of SLURM's seff;
 * `--tree`: its process tree (see tree.ts).
 */
import type { Row, Store } from "../db/mod.ts";
import {
  humanBytes,
  humanCount,
  humanDuration,
  humanRatio,
  humanTime,
  shorten,
  tagsText,
} from "./format.ts";
import { exitText } from "./status.ts";
import { json, jsonObject } from "./store.ts";
import { renderFields, renderTable } from "./table.ts";
import { TREE_SQL, TREE_TO_DEPTH_SQL } from "./sql.ts";
import { buildTree, type TreeOptions, type TreeRow } from "./tree.ts";
import {
  efficiencyFields,
  efficiencyRecord,
  type JobAnalysis,
  opRecord,
  verdictRecord,
  verdictText,
} from "../analysis/mod.ts";

/** Everything `show` prints about one job. */
export interface JobSummary {
  job: Row;
  /** Processes that exited non-zero or were killed by a signal. */
  failed: number;
  /** The processes with the most cpu time, most first. */
  top: Row[];
  /** Efficiency, verdicts and ops (src/analysis), when computed. */
  analysis?: JobAnalysis;
  /** What the analysis stored at submit says, as --json shows it. */
  stored?: Record<string, unknown> | null;
}

/** Reads the summary of a job known to exist (`job` is its jobs row). */
export async function jobSummary(
  store: Store,
  job: Row,
  topN: number,
): Promise<JobSummary> {
  const jobid = String(job.jobid);
  const top = await store.query(
    `SELECT idx, host, pid, exename, args, cpu_time, duration_us, rssmax,
            exitcode, exitsignal
       FROM processes WHERE jobid = ? ORDER BY cpu_time DESC, idx LIMIT ${topN}`,
    [jobid],
  );
  const [f] = await store.query<{ n: number }>(
    `SELECT count(*) AS n FROM processes
      WHERE jobid = ? AND (exitcode <> 0 OR exitsignal <> 0)`,
    [jobid],
  );
  return { job, failed: Number(f.n), top };
}

function num(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

/** The summary as raw values, units in the names (for --json). */
export function summaryRecord(s: JobSummary): Record<string, unknown> {
  const j = s.job;
  const sums = jsonObject(j.proc_sums) as Record<string, number>;
  const cpu = num(j.cpu_time);
  const wall = num(j.duration_us);
  return {
    jobid: j.jobid,
    jobname: j.jobname,
    username: j.username,
    hosts: json(j.hosts) ?? [],
    exp_name: j.exp_name,
    exp_component: j.exp_component,
    exp_oname: j.exp_oname,
    submit_us: j.submit_us,
    start_us: j.start_us,
    end_us: j.end_us,
    duration_us: wall,
    exitcode: j.exitcode,
    num_procs: j.num_procs,
    num_threads: j.num_threads,
    failed_procs: s.failed,
    cpu_time_us: cpu,
    usertime_us: sums.usertime ?? null,
    systemtime_us: sums.systemtime ?? null,
    cpu_per_wall: cpu !== null && wall ? cpu / wall : null,
    rssmax_peak_kib: sums.rssmax_peak ?? null,
    read_bytes: sums.read_bytes ?? null,
    write_bytes: sums.write_bytes ?? null,
    rchar_bytes: sums.rchar ?? null,
    wchar_bytes: sums.wchar ?? null,
    tags: jsonObject(j.tags),
    proc_tags: json(j.proc_tags) ?? [],
    annotations: jsonObject(j.annotations),
    source: j.source,
    loaded_us: j.loaded_us,
    procs_retired_us: j.procs_retired_us ?? null,
    proc_sums: sums,
    ...analysisRecord(s),
    top_procs: s.top.map((p) => ({
      idx: p.idx,
      host: p.host,
      pid: p.pid,
      exename: p.exename,
      args: p.args,
      cpu_time_us: p.cpu_time,
      duration_us: p.duration_us,
      rssmax_kib: p.rssmax,
      exitcode: p.exitcode,
      exitsignal: p.exitsignal,
    })),
  };
}

function analysisRecord(s: JobSummary): Record<string, unknown> {
  const a = s.analysis;
  const out: Record<string, unknown> = {};
  if (a) {
    out.efficiency = efficiencyRecord(a.efficiency);
    out.verdict = verdictRecord(a.verdict);
    out.ops = {
      by: a.ops.by,
      grouping: a.ops.grouping,
      ops: a.ops.ops.map(opRecord),
    };
  }
  if (s.stored !== undefined) out.analysis = s.stored;
  return out;
}

/** The summary for people: labelled lines, then the top processes. */
export function summaryText(s: JobSummary): string {
  const j = s.job;
  const sums = jsonObject(j.proc_sums) as Record<string, number>;
  const cpu = num(j.cpu_time);
  const wall = num(j.duration_us);
  const hosts = (json<string[]>(j.hosts) ?? []).join(", ");
  const exp = [j.exp_name, j.exp_component, j.exp_oname].filter((x) => x).join(
    " / ",
  );
  const fields: [string, string][] = [
    ["Job", `${j.jobid}${j.jobname ? `  (${j.jobname})` : ""}`],
    ["User", String(j.username ?? "")],
    ["Hosts", hosts || "-"],
  ];
  if (exp) fields.push(["Experiment", exp]);
  if (j.submit_us !== null) {
    fields.push(["Submitted", humanTime(num(j.submit_us))]);
  }
  fields.push(
    ["Start", humanTime(num(j.start_us))],
    ["End", humanTime(num(j.end_us))],
    ["Wall time", humanDuration(wall)],
    ["Exit status", exitText(num(j.exitcode), 0)],
    [
      "Processes",
      `${humanCount(num(j.num_procs))} (${humanCount(num(j.num_threads))} ${
        num(j.num_threads) === 1 ? "thread" : "threads"
      })` +
      (s.failed
        ? `, ${humanCount(s.failed)} failed (non-zero exit or signal)`
        : "") +
      (num(j.procs_retired_us) !== null
        ? `; process rows retired ${
          humanTime(num(j.procs_retired_us))
        } (epmt retire: sums kept)`
        : ""),
    ],
    [
      "CPU time",
      `${humanDuration(cpu)} (user ${humanDuration(sums.usertime)}, system ${
        humanDuration(sums.systemtime)
      })`,
    ],
    [
      "CPU / wall",
      cpu !== null && wall
        ? `${humanRatio(cpu / wall)} (average number of busy cores)`
        : "-",
    ],
    ["Peak RSS", `${humanBytes(kib(sums.rssmax_peak))} (largest process)`],
    [
      "Storage I/O",
      `read ${humanBytes(sums.read_bytes)}, written ${
        humanBytes(sums.write_bytes)
      }`,
    ],
    [
      "All reads/writes",
      `read ${humanBytes(sums.rchar)}, written ${
        humanBytes(sums.wchar)
      } (rchar, wchar)`,
    ],
  );
  if (s.analysis) {
    fields.push(...efficiencyFields(s.analysis.efficiency));
    fields.push(["Verdict", verdictText(s.analysis.verdict)]);
  }
  if (s.stored !== undefined) fields.push(["Analysis", storedText(s.stored)]);
  const tags = tagsText(jsonObject(j.tags));
  if (tags) fields.push(["Job tags", tags]);
  const procTags = (json<Record<string, unknown>[]>(j.proc_tags) ?? []).map(
    tagsText,
  );
  if (procTags.length) fields.push(["Process tags", procTags.join("  ")]);
  const notes = Object.entries(jsonObject(j.annotations))
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  if (notes.length) {
    fields.push([
      "Annotations",
      notes.map(([k, v]) =>
        `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
      )
        .join("  "),
    ]);
  }
  fields.push(["Source", String(j.source ?? "-")]);
  fields.push(["Loaded", humanTime(num(j.loaded_us))]);
  let text = renderFields(fields);
  if (s.top.length) {
    const multiHost = (json<string[]>(j.hosts) ?? []).length > 1;
    text += `\n\nTop processes by CPU time:\n` + renderTable(
      [
        { title: "PID", align: "right" },
        ...(multiHost ? [{ title: "HOST" }] : []),
        { title: "EXE" },
        { title: "ARGS" },
        { title: "CPU", align: "right" },
        { title: "DURATION", align: "right" },
        { title: "RSS", align: "right" },
        { title: "EXIT", align: "right" },
      ],
      s.top.map((p) => [
        String(p.pid),
        ...(multiHost ? [String(p.host ?? "")] : []),
        shorten(String(p.exename ?? ""), 24),
        shorten(String(p.args ?? ""), 40),
        humanDuration(num(p.cpu_time)),
        humanDuration(num(p.duration_us)),
        humanBytes(kib(num(p.rssmax))),
        exitText(num(p.exitcode), num(p.exitsignal)),
      ]),
      "  ",
    );
  }
  const ops = s.analysis?.ops;
  if (ops && ops.ops.length) {
    text +=
      `\n\nWhere the time went (${
        ops.grouping === "tag" ? `by process tag ${ops.by}` : "steps of the job"
      }; epmt ops for more):\n` + renderTable(
        [
          { title: ops.grouping === "tag" ? "OP" : "STEP" },
          { title: "PROCS", align: "right" },
          { title: "WALL", align: "right" },
          { title: "%WALL", align: "right" },
          { title: "CPU", align: "right" },
          { title: "%CPU", align: "right" },
          { title: "VERDICT" },
        ],
        ops.ops.map((o) => [
          shorten(o.op, 40),
          humanCount(o.procs),
          humanDuration(o.wall_us),
          percent(o.share_wall),
          humanDuration(o.cpu_us),
          percent(o.share_cpu),
          o.verdict.kind,
        ]),
        "  ",
      );
  }
  return text;
}

function percent(f: number | null): string {
  return f === null ? "-" : `${Math.round(f * 100)}%`;
}

/** The stored analysis on one line: when, flags, or its error. */
function storedText(a: Record<string, unknown> | null): string {
  if (a === null) return "not analysed at submit (epmt analyze JOBID)";
  const when = humanTime(num(a.analyzed_us));
  if (typeof a.error === "string" && a.error) {
    return `failed at ${when}: ${a.error}`;
  }
  const flags = Array.isArray(a.flags) ? a.flags : [];
  const model = typeof a.model === "string" && a.model
    ? `against model ${a.model}`
    : "no reference model";
  if (flags.length === 0) return `${when}, ${model}, no flags`;
  const list = flags.slice(0, 5).map((f) => {
    const r = f as Record<string, unknown>;
    return `${r.op ? `${r.op}:` : ""}${r.feature} (score ${
      typeof r.score === "number" ? r.score.toFixed(1) : r.score
    })`;
  });
  return `${when}, ${model}, ${flags.length} flagged: ${list.join(", ")}${
    flags.length > 5 ? ", …" : ""
  }`;
}

function kib(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : v * 1024;
}

/**
 * The tree rows of a job in idx (depth-first) order, down to `maxDepth`
 * when given: one range of the processes primary key.
 */
export async function treeRows(
  store: Store,
  jobid: string,
  maxDepth?: number,
): Promise<TreeRow[]> {
  const rows = maxDepth === undefined
    ? await store.queryValues(TREE_SQL, [jobid])
    : await store.queryValues(TREE_TO_DEPTH_SQL, [jobid, maxDepth]);
  return rows as TreeRow[];
}

/** The tree grouped for printing (see buildTree). */
export async function jobTree(
  store: Store,
  job: Row,
  opts: TreeOptions & { depth?: number },
) {
  const rows = await treeRows(store, String(job.jobid), opts.depth);
  return buildTree(rows, {
    ...opts,
    totalProcs: opts.depth === undefined
      ? undefined
      : num(job.num_procs) ?? rows.length,
  });
}

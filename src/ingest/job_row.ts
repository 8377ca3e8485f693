/**
 * The job row: metadata, and the sums over the job's processes. Metrics are
 * added up over processes except starttime, processor and num_threads
 * (snapshots that mean nothing summed); proc_sums.num_threads is the number
 * of threads, and rssmax_peak the largest rssmax of any process.
 */
import { STANDARD_METRICS } from "../db/mod.ts";
import type { JobRow } from "../db/mod.ts";
import { threadColumns } from "./header.ts";
import type { ReadJob } from "./job_dir.ts";
import { F_METRICS, F_NUMTIDS } from "./process_table.ts";

/** Processes this far outside the job's start/stop are warned about. */
export const WINDOW_SLACK_US = 1_000_000;

const NOT_SUMMED = new Set(["starttime", "processor", "num_threads"]);
const USERTIME = F_METRICS + STANDARD_METRICS.indexOf("usertime");
const SYSTEMTIME = F_METRICS + STANDARD_METRICS.indexOf("systemtime");

/** The job row and the warnings found while making it. */
export interface JobSummary {
  row: JobRow;
  numProcs: number;
  numThreads: number;
  warnings: string[];
}

/**
 * Sums a read job into its row. `source` is what was submitted (directory
 * or archive), `nowUs` the load time.
 */
export function summarize(
  job: ReadJob,
  source: string,
  nowUs: number,
): JobSummary {
  const { info, table } = job;
  const n = table.length;
  const sums = table.sums;
  const seen = table.seen;
  const extras = new Float64Array(table.extraNames.length);
  // An event no process could count has no sum (not a sum of 0).
  const counted = new Uint8Array(extras.length);
  let first = Infinity;
  let last = -Infinity;
  let outside = 0;
  let example = -1;
  const lo = info.startUs === null ? -Infinity : info.startUs - WINDOW_SLACK_US;
  const hi = info.endUs === null ? Infinity : info.endUs + WINDOW_SLACK_US;
  const hosts = new Set<string>();
  const tagTexts = new Set<string>();
  let lastHost = "", lastTags = "";
  for (let r = 0; r < n; r++) {
    for (let s = 0; s < extras.length; s++) {
      const v = table.getExtra(r, s);
      if (v === v) {
        extras[s] += v;
        counted[s] = 1;
      }
    }
    const start = table.startOf(r);
    const end = table.endOf(r);
    if (start < first) first = start;
    if (end > last) last = end;
    if (start < lo || end > hi) {
      if (outside++ === 0) example = r;
    }
    // Interned strings: skip the set for runs of the same value.
    const host = table.hosts[r];
    if (host !== lastHost) hosts.add(lastHost = host);
    const tags = table.tags[r];
    if (tags !== lastTags) {
      lastTags = tags;
      const json = table.tagsJson(tags);
      if (json !== null) tagTexts.add(json);
    }
  }
  const threads = sums[F_NUMTIDS];
  const cpu = (seen[USERTIME] ? sums[USERTIME] : 0) +
    (seen[SYSTEMTIME] ? sums[SYSTEMTIME] : 0);
  const rssPeak = table.rssPeak;

  const procSums: Record<string, number> = {};
  STANDARD_METRICS.forEach((name, s) => {
    if (seen[F_METRICS + s] && !NOT_SUMMED.has(name)) {
      procSums[name] = sums[F_METRICS + s];
    }
  });
  table.extraNames.forEach((name, s) => {
    if (counted[s]) procSums[name] = extras[s];
  });
  procSums.cpu_time = cpu;
  procSums.rssmax_peak = rssPeak;
  procSums.num_procs = n;
  procSums.num_threads = threads;

  const warnings: string[] = [];
  if (outside > 0) {
    const o = table.origin(example);
    warnings.push(
      `job ${info.jobid}: ${outside} process${
        outside > 1 ? "es" : ""
      } outside the job's start/stop window (kept), first at ${o.file}:${o.line}`,
    );
  }
  if (n === 0) {
    warnings.push(
      `job ${info.jobid}: no collector files; loading the job without processes`,
    );
  }

  const startUs = info.startUs ?? (n ? first : null);
  const endUs = info.endUs ?? (n ? last : null);
  const hostList = [...hosts].sort();
  if (hostList.length === 0 && info.hostname) hostList.push(info.hostname);
  const row: JobRow = {
    jobid: info.jobid,
    jobname: info.jobname,
    username: info.username,
    hosts: JSON.stringify(hostList),
    start_us: startUs,
    end_us: endUs,
    duration_us: startUs !== null && endUs !== null ? endUs - startUs : null,
    submit_us: info.submitUs,
    exitcode: info.exitcode,
    exp_name: info.expName,
    exp_component: info.expComponent,
    exp_oname: info.expOname,
    tags: JSON.stringify(info.tags),
    env: JSON.stringify(info.env),
    env_changes: JSON.stringify(info.envChanges),
    metadata: JSON.stringify(info.metadata),
    num_procs: n,
    num_threads: threads,
    cpu_time: cpu,
    proc_sums: JSON.stringify(procSums),
    proc_tags: "[" + [...tagTexts].sort().join(",") + "]",
    proc_start_us: n ? first : null,
    proc_end_us: n ? last : null,
    thread_columns: JSON.stringify(threadColumns(table)),
    annotations: "{}",
    source,
    loaded_us: nowUs,
  };
  return { row, numProcs: n, numThreads: threads, warnings };
}

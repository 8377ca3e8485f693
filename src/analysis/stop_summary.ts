/**
 * The end-of-job summary `epmt stop` prints to stderr when the setting
 * job_summary is on: a few lines a user finds in the job's own log (wall,
 * cpu, efficiency, the op that took longest, the verdict), computed from
 * the job directory as submit would read it, without a database.
 */
import { readJobDir, summarize } from "../ingest/mod.ts";
import { humanDuration, humanRatio, shorten } from "../query/mod.ts";
import { analyzeJob, topOp } from "./job.ts";
import { procsFromProcessRows } from "./procs.ts";
import { verdictText } from "./render.ts";

const pct = (f: number | null) =>
  f === null ? "not requested" : `${Math.round(f * 100)}%`;

/** The summary lines of the stopped job in `dir`. */
export async function stopSummary(
  dir: string,
  inputPattern: string,
): Promise<string[]> {
  const job = await readJobDir(dir, dir, inputPattern);
  const { row } = summarize(job, dir, Date.now() * 1000);
  const a = analyzeJob(row, procsFromProcessRows(job.table));
  const e = a.efficiency;
  const cores = e.requested.cores;
  const lines = [
    `job ${row.jobid}: wall ${humanDuration(e.used.wall_us)}, cpu ${
      humanDuration(e.used.cpu_us)
    } (${
      humanRatio(e.used.busy_cores)
    } cores busy on average), ${a.usage.procs} processes`,
    `efficiency: cpu ${pct(e.cpu)}${
      cores === null ? "" : ` of ${cores} cores`
    }, memory ${pct(e.memory)}, time limit ${pct(e.time)}${
      e.time === null ? "" : " used"
    }`,
  ];
  const top = topOp(a.ops);
  if (top) {
    lines.push(
      `top ${a.ops.grouping === "tag" ? "op" : "step"}: ${
        shorten(top.op, 40)
      } (${humanDuration(top.wall_us)}, ${pct(top.share_wall)} of wall, ${
        pct(top.share_cpu)
      } of cpu; ${top.verdict.kind})`,
    );
  }
  lines.push(`verdict: ${verdictText(a.verdict)}`);
  return lines;
}

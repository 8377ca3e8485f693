/**
 * Generated workflow jobs for the report tests and benchmark: a job script
 * running tagged ops (atmos, ocean, ...) one after another, partly
 * overlapping, each a model run and many short tools running a few at a
 * time. Written as one collated papiex CSV per job, as our collector
 * writes, and loaded with the real `epmt submit`.
 */
import { join } from "node:path";
import { PAPIEX_CSV_HEADER } from "./query_helpers.ts";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";

/** Options of {@linkcode writeWorkflowJob}. */
export interface WorkflowOptions {
  /** Processes in all (at least 2 per op + 1). */
  procs: number;
  /** Job start, µs since the epoch. @default 2026-11-25T10:00Z */
  startUs?: number;
  /** Wall time, µs. @default 300 s */
  wallUs?: number;
  /** Op tags, in the order they run. */
  ops?: string[];
  /** The process (0-based, in write order) that exits with code 3. */
  failing?: number;
  user?: string;
  expName?: string;
  expComponent?: string;
  /** Scales every cpu time (planting a slow job). @default 1 */
  cpuScale?: number;
}

/** The default ops of a generated job. */
export const OPS = ["atmos", "ocean", "land", "coupler", "postproc"];

/**
 * Writes `<parent>/<jobid>/` (collector file and job_metadata) and
 * returns the folder.
 */
export async function writeWorkflowJob(
  parent: string,
  jobid: string,
  o: WorkflowOptions,
): Promise<string> {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  const t0 = o.startUs ?? Date.UTC(2026, 10, 25, 10) * 1000;
  const wall = o.wallUs ?? 300_000_000;
  const ops = o.ops ?? OPS;
  const scale = o.cpuScale ?? 1;
  const lines = [PAPIEX_CSV_HEADER];
  let pid = 1000;
  let written = 0;
  const row = (
    p: {
      tags: string;
      exe: string;
      args: string;
      ppid: number;
      start: number;
      end: number;
      cpu: number;
      rss: number;
    },
  ): number => {
    const me = pid++;
    const code = written === o.failing ? 3 : 0;
    written++;
    const cpu = Math.round(p.cpu * scale);
    const sys = Math.floor(cpu / 10);
    lines.push(
      [
        p.tags,
        "node01",
        p.exe,
        `/usr/bin/${p.exe}`,
        p.args.replace(/[\\,]/g, (c) => "\\" + c),
        code,
        0,
        me,
        0,
        p.ppid,
        me,
        1000,
        1,
        0,
        me,
        0,
        p.start,
        p.end,
        cpu - sys,
        sys,
        p.rss,
        100,
        0,
        8,
        16,
        3,
        1,
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        4096,
        2048,
        5,
        3,
        0,
        4096,
        0,
        cpu * 1000,
        1000,
        4,
      ].join(","),
    );
    return me;
  };
  const root = row({
    tags: "",
    exe: "bash",
    args: "job.sh",
    ppid: 1,
    start: t0 + 1000,
    end: t0 + wall - 1000,
    cpu: 20_000,
    rss: 4096,
  });
  const perOp = Math.floor((o.procs - 1) / ops.length);
  let extra = o.procs - 1 - perOp * ops.length;
  const slot = (wall - 10_000) / ops.length;
  for (let k = 0; k < ops.length; k++) {
    const n = perOp + (extra-- > 0 ? 1 : 0);
    // Each op runs for 1.3 slots, so neighbours overlap.
    const start = t0 + 5000 + k * slot;
    const end = Math.min(t0 + wall - 2000, start + slot * 1.3);
    const tags = `op:${ops[k]};op_instance:${k + 1}`;
    const step = row({
      tags,
      exe: "bash",
      args: `run_${ops[k]}.sh`,
      ppid: root,
      start,
      end,
      cpu: 50_000,
      rss: 4096,
    });
    if (n < 2) continue;
    const span = end - start;
    row({
      tags,
      exe: `${ops[k]}_model`,
      args: `--config ${ops[k]}.nml --steps 96`,
      ppid: step,
      start: start + 1000,
      end: start + Math.round(span * 0.7),
      cpu: Math.round(span * 0.7 * 3.5),
      rss: 2_000_000 + k * 100_000,
    });
    // The tools: three at a time through the rest of the op.
    const tools = n - 2;
    const from = start + Math.round(span * 0.1);
    const each = Math.max(50, Math.floor((span * 0.85 * 3) / tools));
    const exes = ["cp", "gzip", "ncks", "mv"];
    for (let i = 0; i < tools; i++) {
      const s = from + Math.floor(i / 3) * each + (i % 3) * 7;
      const exe = exes[i % exes.length];
      row({
        tags,
        exe,
        args: `${ops[k]}/out_${i}.nc archive/${ops[k]}/`,
        ppid: step,
        start: s,
        end: Math.min(end - 1, s + Math.max(10, Math.floor(each * 0.9))),
        cpu: Math.floor(each * 0.6),
        rss: 2048 + (i % 13) * 64,
      });
    }
  }
  await Deno.writeTextFile(
    join(dir, `node01-collated-papiex-${jobid}-0.csv`),
    lines.join("\n") + "\n",
  );
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(
      jobMetadata(jobid, t0, t0 + wall, o),
    ),
  );
  return dir;
}

function iso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace("Z", "+00:00");
}

function jobMetadata(
  jobid: string,
  start: number,
  end: number,
  o: WorkflowOptions,
): JobMetadata {
  const user = o.user ?? "alice";
  const name = `${o.expName ?? "CM4_piControl"}_${
    o.expComponent ?? "atmos"
  }_00010101`;
  return {
    format_version: 1,
    exp_component: o.expComponent ?? "atmos",
    exp_jobname: name,
    exp_name: o.expName ?? "CM4_piControl",
    exp_oname: "00010101",
    job_pl_env: { HOME: `/home/${user}` },
    job_pl_env_len: 1,
    job_pl_from_batch: ["SLURM_JOB_ID"],
    job_pl_groupnames: ["users"],
    job_pl_hostname: "node01",
    job_pl_id: jobid,
    job_pl_jobname: name,
    job_pl_scriptname: "job.sh",
    job_pl_start: iso(start),
    job_pl_submit: iso(start - 60_000_000),
    job_pl_username: user,
    job_tags: {},
    job_el_env_changes: {},
    job_el_env_changes_len: 0,
    job_el_from_batch: ["SLURM_JOB_ID"],
    job_el_status: o.failing === undefined ? 0 : 3,
    job_el_stop: iso(end),
    job_runs: [],
  };
}

/**
 * Job directories with known numbers for the analysis tests: each process
 * spelt out (parent, start and end, cpu, I/O wait, memory, tags), written
 * as papiex CSV with a job_metadata, so the truth of every op wall time,
 * efficiency, verdict and critical path is known in advance.
 */
import { join } from "node:path";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";
import { metadata, PAPIEX_CSV_HEADER } from "./query_helpers.ts";

/** One process; times are µs after the job's start. */
export interface P {
  pid: number;
  ppid: number;
  exe: string;
  args?: string;
  start: number;
  end: number;
  /** µs of cpu (all user time). */
  cpu?: number;
  /** µs waiting for disk I/O (delayacct_blkio_time). */
  blkio?: number;
  /** µs runnable waiting for a CPU (written as ns). */
  waiting?: number;
  /** KiB. */
  rss?: number;
  read?: number;
  write?: number;
  /** PAPIEX_TAGS form: "op:ocean". */
  tags?: string;
  host?: string;
  /** Exec generation of the pid (its later images: 1, 2, ...). */
  generation?: number;
}

/** The job's start, µs since the epoch. */
export const T0 = Date.UTC(2026, 10, 25, 10) * 1000;

/**
 * `<parent>/<jobid>/`: one papiex CSV per process and a job_metadata with
 * the job running `wallUs` from T0, `env` as its recorded environment.
 */
export async function analysisJob(
  parent: string,
  jobid: string,
  procs: readonly P[],
  wallUs: number,
  env: Record<string, string> = {},
  extra: Partial<JobMetadata> = {},
): Promise<string> {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  const names = PAPIEX_CSV_HEADER.split(",");
  for (const p of procs) {
    const v: Record<string, string | number> = Object.fromEntries(
      names.map((n) => [n, 0]),
    );
    Object.assign(v, {
      tags: p.tags ?? "",
      hostname: p.host ?? "vm",
      exename: p.exe,
      path: `/usr/bin/${p.exe}`,
      args: (p.args ?? "").replace(/[\\,]/g, (c) => "\\" + c),
      pid: p.pid,
      generation: p.generation ?? 0,
      ppid: p.ppid,
      pgid: p.pid,
      sid: 1,
      numtids: 1,
      tid: p.pid,
      start: T0 + p.start,
      end: T0 + p.end,
      usertime: p.cpu ?? 0,
      rssmax: p.rss ?? 1024,
      num_threads: 1,
      delayacct_blkio_time: p.blkio ?? 0,
      read_bytes: p.read ?? 0,
      write_bytes: p.write ?? 0,
      time_oncpu: (p.cpu ?? 0) * 1000,
      time_waiting: (p.waiting ?? 0) * 1000,
    });
    await Deno.writeTextFile(
      join(dir, `${p.host ?? "vm"}-papiex-${p.pid}-${p.generation ?? 0}.csv`),
      `${PAPIEX_CSV_HEADER}\n${names.map((n) => v[n]).join(",")}\n`,
    );
  }
  const iso = (us: number) =>
    new Date(us / 1000).toISOString().replace("Z", "+00:00");
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(metadata(jobid, {
      job_pl_start: iso(T0),
      job_el_stop: iso(T0 + wallUs),
      job_pl_env: { HOME: "/home/alice", ...env },
      job_pl_env_len: 1 + Object.keys(env).length,
      ...extra,
    })),
  );
  return dir;
}

const S = 1_000_000;

/**
 * 4 MPI ranks (op:solve) under mpirun under the job script, each on a CPU
 * its whole life, in a 10 s job that asked SLURM for 4 cores.
 */
export function cpuBoundRanks(): P[] {
  return [
    {
      pid: 100,
      ppid: 1,
      exe: "bash",
      args: "job.sh",
      start: 0,
      end: 10 * S,
      cpu: 1000,
    },
    {
      pid: 101,
      ppid: 100,
      exe: "mpirun",
      args: "-n 4 ./solve",
      start: 100,
      end: 10 * S - 100,
      cpu: 1000,
      tags: "op:solve",
    },
    ...[0, 1, 2, 3].map((r) => ({
      pid: 110 + r,
      ppid: 101,
      exe: "solve",
      start: 1000,
      end: 10 * S - 1000,
      cpu: 10 * S - 2000 - 5000,
      tags: "op:solve",
    })),
  ];
}

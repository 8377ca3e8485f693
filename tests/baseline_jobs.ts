/**
 * Families of comparable generated jobs for the baseline tests and
 * benchmark: papiex CSV job directories (one collated file per job) with
 * known truth. A clean job runs op prep (cp), op ocean (4 MPI ranks of
 * ocean_model, 3 threads each) and op post (2 python3), every value with
 * ±4 % noise; planted jobs differ in one known way.
 */
import { join } from "node:path";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";
import { metadata, PAPIEX_CSV_HEADER } from "./query_helpers.ts";

/** One generated process (times relative to the job start, µs). */
export interface SynthProc {
  exe: string;
  tags?: string;
  mpirank?: number;
  numranks?: number;
  start: number;
  wall: number;
  /** µs of cpu (user 90 %, system 10 %). */
  cpu: number;
  /** KiB. */
  rss: number;
  read: number;
  write: number;
  /** ns waiting for a cpu (schedstat). */
  waiting: number;
  /** µs of block I/O delay. */
  blkio: number;
  /** Extra threads besides the process's own: cpu and wall of each. */
  threads?: { cpu: number; wall: number }[];
}

/** What is planted in a job. */
export type Plant = "clean" | "io" | "straggler" | "memory" | "thread";

/** A seeded uniform generator (mulberry32): the same family every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The processes and wall time of one job of the family. `rand` gives the
 * ±4 % noise. io: op ocean runs 4 times longer, blocked on I/O (same cpu);
 * straggler: MPI rank 3 of ocean_model takes 3 times the cpu and wall;
 * memory: the ocean ranks use 5 times the memory; thread: one thread of
 * rank 0 takes 3 times the cpu of its siblings.
 */
export function familyJob(
  rand: () => number,
  plant: Plant,
): { procs: SynthProc[]; wall: number } {
  const n = (v: number) => Math.round(v * (1 + (rand() * 2 - 1) * 0.04));
  const procs: SynthProc[] = [];
  let t = 1_000_000;
  const prepWall = n(5e6);
  procs.push({
    exe: "cp",
    tags: "op:prep",
    start: t,
    wall: prepWall,
    cpu: n(2e6),
    rss: n(10_240),
    read: n(1e9),
    write: n(1e9),
    waiting: n(5e8),
    blkio: n(200_000),
  });
  t += prepWall + 1000;
  const oceanStart = t;
  let oceanEnd = t;
  for (let r = 0; r < 4; r++) {
    const slow = plant === "straggler" && r === 3 ? 3 : 1;
    const io = plant === "io" ? 4 : 1;
    const wall = n(40e6) * slow * io;
    procs.push({
      exe: "ocean_model",
      tags: "op:ocean",
      mpirank: r,
      numranks: 4,
      start: oceanStart + r * 100,
      wall,
      cpu: n(36e6) * slow,
      rss: n(512_000) * (plant === "memory" ? 5 : 1),
      read: n(1e8) * (plant === "io" ? 3 : 1),
      write: n(5e7),
      waiting: n(1e9),
      blkio: plant === "io" ? n(118e6) : n(100_000),
      threads: [0, 1].map((k) => ({
        cpu: n(36e6) * slow *
          (plant === "thread" && r === 0 && k === 1 ? 3 : 1),
        wall: n(39e6) * slow * io,
      })),
    });
    oceanEnd = Math.max(oceanEnd, oceanStart + r * 100 + wall);
  }
  t = oceanEnd + 1000;
  for (let i = 0; i < 2; i++) {
    procs.push({
      exe: "python3",
      tags: "op:post",
      start: t + i * 100,
      wall: n(8e6),
      cpu: n(6e6),
      rss: n(204_800),
      read: n(2e8),
      write: n(1e7),
      waiting: n(2e8),
      blkio: n(50_000),
    });
  }
  return { procs, wall: t + 9e6 };
}

function iso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace("Z", "+00:00");
}

/** The job start of generated job number `i` (an hour apart). */
export function startOf(i: number): number {
  return Date.UTC(2026, 10, 1, 0) * 1000 + i * 3600e6;
}

/**
 * Writes `<parent>/<jobid>/` with one collated papiex CSV file holding a
 * root `bash job.sh` and `procs` as its children, and a job_metadata.
 */
export async function writeJob(
  parent: string,
  jobid: string,
  procs: readonly SynthProc[],
  wall: number,
  t0: number,
  extra: Partial<JobMetadata> = {},
): Promise<string> {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  const lines: string[] = [PAPIEX_CSV_HEADER];
  const row = (p: SynthProc, pid: number, ppid: number) => {
    const user = Math.round(p.cpu * 0.9);
    const threads = p.threads ?? [];
    lines.push([
      p.tags ?? "",
      "node01",
      p.exe,
      `/usr/bin/${p.exe}`,
      "",
      0,
      0,
      pid,
      0,
      ppid,
      1000,
      1000,
      1 + threads.length,
      p.numranks ?? "",
      pid,
      p.mpirank ?? "",
      t0 + p.start,
      t0 + p.start + p.wall,
      user,
      p.cpu - user,
      p.rss,
      100,
      0,
      0,
      0,
      10,
      2,
      0,
      0,
      0,
      0,
      1 + threads.length,
      0,
      0,
      p.blkio,
      0,
      p.read,
      p.write,
      50,
      20,
      p.read,
      p.write,
      0,
      p.cpu * 1000,
      p.waiting,
      100,
    ].join(","));
    threads.forEach((th, i) => {
      const u = Math.round(th.cpu * 0.9);
      lines.push([
        ...Array(14).fill(""),
        pid + 1 + i,
        p.mpirank ?? 0,
        t0 + p.start + 50,
        t0 + p.start + 50 + th.wall,
        u,
        th.cpu - u,
        p.rss,
        10,
        0,
        0,
        0,
        5,
        1,
        0,
        0,
        0,
        0,
        1 + threads.length,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        th.cpu * 1000,
        0,
        10,
      ].join(","));
    });
  };
  row(
    {
      exe: "bash",
      start: 0,
      wall,
      cpu: 50_000,
      rss: 4096,
      read: 1e5,
      write: 1e4,
      waiting: 1e6,
      blkio: 0,
    },
    100,
    1,
  );
  let pid = 200;
  for (const p of procs) {
    row(p, pid, 100);
    pid += 1 + (p.threads?.length ?? 0);
  }
  await Deno.writeTextFile(
    join(dir, `node01-collated-papiex-${jobid}-0.csv`),
    lines.join("\n") + "\n",
  );
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(
      metadata(jobid, {
        job_pl_start: iso(t0),
        job_pl_submit: iso(t0 - 60e6),
        job_el_stop: iso(t0 + wall),
        exp_name: "ESM4",
        exp_component: "ocean",
        job_tags: { campaign: "c1" },
        ...extra,
      }),
    ),
  );
  return dir;
}

/**
 * A family in `parent`: `train` clean jobs train-0.., then the `judged`
 * jobs named by their plant (clean-0, clean-1, ..; io, io-1, ..), all
 * from one seed. Returns the directories, training first.
 */
export async function writeFamily(
  parent: string,
  train: number,
  judged: readonly Plant[],
  seed = 1,
  extra: Partial<JobMetadata> = {},
): Promise<{ train: string[]; judged: string[]; dirs: string[] }> {
  const rand = seeded(seed);
  const trainIds: string[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < train; i++) {
    const { procs, wall } = familyJob(rand, "clean");
    const id = `train-${i}`;
    trainIds.push(id);
    dirs.push(await writeJob(parent, id, procs, wall, startOf(i), extra));
  }
  const judgedIds: string[] = [];
  const counts = new Map<Plant, number>();
  for (const [k, plant] of judged.entries()) {
    const { procs, wall } = familyJob(rand, plant);
    const seen = counts.get(plant) ?? 0;
    counts.set(plant, seen + 1);
    const id = plant === "clean"
      ? `clean-${seen}`
      : seen
      ? `${plant}-${seen}`
      : plant;
    judgedIds.push(id);
    dirs.push(
      await writeJob(parent, id, procs, wall, startOf(train + k), extra),
    );
  }
  return { train: trainIds, judged: judgedIds, dirs };
}

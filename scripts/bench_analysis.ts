/**
 * Issue 11's speed targets, on SQLite and PostgreSQL:
 * - `epmt ops`, `epmt show` (with efficiency, verdict and ops) and
 *   `epmt show --critical` on a 100,000-process job: under 1 s each (the
 *   median of the real CLI, start-up included);
 * - the analysis at submit adds at most 10 % to `epmt submit`: the same
 *   job submitted into fresh databases with analyze_on_submit off and on,
 *   alternately, medians compared (for the big job and a 1,000-process
 *   one), in cpu time (user + system, from /usr/bin/time: steadier than
 *   wall time on a shared machine) and in wall time.
 *
 * Every figure is printed with its cpu time beside the wall time, and
 * `show --tree` on the same job is timed alike as a reference.
 *
 *     deno task bench analysis [--procs N] [--rounds N] [--keep]
 *
 * The job is a workflow: a job script running steps one after another,
 * half of them tagged op:<name>, each running MPI-like ranks side by side
 * and sequences of short tools, written as one collated papiex CSV.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTestDb } from "../tests/pg.ts";
import { PAPIEX_CSV_HEADER } from "../tests/query_helpers.ts";
import { encodeMetadata } from "../src/job/metadata.ts";
import { metadata } from "../tests/query_helpers.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    procs: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const PROCS = Number(opt.procs);
const ROUNDS = Number(opt.rounds);
const LIMIT_MS = 1000;
const ROOT = new URL("..", import.meta.url).pathname;
const LAUNCHER = join(ROOT, "epmt");

/**
 * Writes job `jobid` of about `n` processes into `dir`; returns its dir.
 * Times in µs from a fixed start; every process's line is written once.
 */
async function writeJob(parent: string, jobid: string, n: number) {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  const t0 = Date.UTC(2026, 0, 1) * 1000;
  const names = PAPIEX_CSV_HEADER.split(",");
  const lines: string[] = [PAPIEX_CSV_HEADER];
  const line = (
    pid: number,
    ppid: number,
    exe: string,
    args: string,
    start: number,
    end: number,
    cpu: number,
    tags: string,
    blkio = 0,
  ) => {
    const v: Record<string, string | number> = {
      tags,
      hostname: "node01",
      exename: exe,
      path: `/usr/bin/${exe}`,
      args,
      pid,
      ppid,
      pgid: pid,
      sid: 1,
      numtids: 1,
      tid: pid,
      start: t0 + start,
      end: t0 + end,
      usertime: cpu,
      rssmax: 2048 + pid % 1000,
      num_threads: 1,
      delayacct_blkio_time: blkio,
      read_bytes: 4096,
      write_bytes: 512,
      time_waiting: 1000,
    };
    lines.push(names.map((k) => v[k] ?? 0).join(","));
  };
  const steps = 10;
  const perStep = Math.floor((n - 1) / steps) - 1;
  let pid = 1000;
  let clock = 1000;
  const rootPid = pid++;
  for (let s = 0; s < steps; s++) {
    const stepPid = pid++;
    const tags = s % 2 === 0 ? `op:step${s}` : "";
    const stepStart = clock;
    // A third are ranks side by side, the rest short tools in sequence.
    const ranks = Math.floor(perStep / 3);
    for (let r = 0; r < ranks; r++) {
      const end = clock + 5_000_000 + (r % 17) * 1000;
      line(
        pid++,
        stepPid,
        "solve",
        `--rank ${r}`,
        clock + 10,
        end,
        4_900_000,
        tags,
      );
    }
    clock += 5_020_000;
    for (let i = ranks; i < perStep; i++) {
      line(
        pid++,
        stepPid,
        "cp",
        `in/${i % 50} out/`,
        clock,
        clock + 900,
        600,
        tags,
        200,
      );
      clock += 1000;
    }
    line(
      stepPid,
      rootPid,
      "bash",
      `step${s}.sh`,
      stepStart,
      clock + 10,
      20_000,
      tags,
    );
    clock += 100;
  }
  line(rootPid, 1, "bash", "job.sh", 0, clock + 100, 50_000, "");
  await Deno.writeTextFile(
    join(dir, `node01-collated-papiex-${jobid}-0.csv`),
    lines.join("\n") + "\n",
  );
  const iso = (us: number) =>
    new Date(Math.floor(us / 1000)).toISOString().replace("Z", "+00:00");
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(metadata(jobid, {
      job_pl_start: iso(t0),
      job_el_stop: iso(t0 + clock + 200),
      job_pl_env: { HOME: "/home/alice", SLURM_CPUS_ON_NODE: "64" },
    })),
  );
  return { dir, procs: lines.length - 1 };
}

/** Runs epmt under /usr/bin/time; its wall and cpu (user + system) ms. */
async function run(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "BENCHTIME %e %U %S", LAUNCHER, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`epmt ${args.join(" ")}: ${stderr}`);
  const m = stderr.match(/BENCHTIME (\S+) (\S+) (\S+)\s*$/);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${stderr}`);
  return {
    wall: Number(m[1]) * 1000,
    cpu: (Number(m[2]) + Number(m[3])) * 1000,
  };
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const tmp = await Deno.makeTempDir({ prefix: "epmt-bench-analysis-" });
let failed = false;
const pgs: { drop(): Promise<void> }[] = [];
try {
  const big = await writeJob(tmp, "big", PROCS);
  const small = await writeJob(tmp, "small", 1000);
  console.log(
    `job big: ${big.procs} processes; job small: ${small.procs}; rounds ${ROUNDS}`,
  );
  let dbCount = 0;
  const freshDb = async (provider: string) => {
    const env: Record<string, string> = { HOME: join(tmp, "home") };
    // The caller's compile cache: a fresh HOME would recompile each run.
    const denoDir = Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("HOME") ?? "", ".cache/deno");
    env.DENO_DIR = denoDir;
    if (provider === "sqlite") {
      env.EPMT_DB_FILENAME = join(tmp, `db${dbCount++}.sqlite`);
    } else {
      const pg = await createTestDb();
      pgs.push(pg);
      Object.assign(env, pg.env);
    }
    return env;
  };
  for (const provider of ["sqlite", "postgres"]) {
    console.log(`-- ${provider}`);
    // Submit with the analysis off and on, alternately, each into a fresh db.
    for (const job of [small, big]) {
      const off = { wall: [] as number[], cpu: [] as number[] };
      const on = { wall: [] as number[], cpu: [] as number[] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const analyze of ["0", "1"]) {
          const env = {
            ...await freshDb(provider),
            EPMT_ANALYZE_ON_SUBMIT: analyze,
          };
          const t = await run(["submit", job.dir], env);
          const into = analyze === "1" ? on : off;
          into.wall.push(t.wall);
          into.cpu.push(t.cpu);
        }
      }
      const ratio = median(on.cpu) / median(off.cpu);
      const ok = ratio <= 1.10;
      if (!ok) failed = true;
      console.log(
        `submit ${job.procs} procs: analysis off ${
          median(off.cpu).toFixed(0)
        } ms cpu (${median(off.wall).toFixed(0)} wall), on ${
          median(on.cpu).toFixed(0)
        } ms cpu (${median(on.wall).toFixed(0)} wall): cpu x${
          ratio.toFixed(3)
        }, wall x${(median(on.wall) / median(off.wall)).toFixed(3)} (${
          ok ? "ok" : "FAIL"
        }, limit x1.10)`,
      );
    }
    // The query commands on the big job.
    const env = await freshDb(provider);
    await run(["submit", big.dir], env);
    for (
      const args of [
        ["ops", "big"],
        ["show", "big"],
        ["show", "--critical", "big"],
        ["ops", "--json", "big"],
        // Reference, measured alike: the tree of the same job (issue 5).
        ["show", "--tree", "big"],
      ]
    ) {
      const wall: number[] = [];
      const cpuTimes: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t = await run(args, env);
        wall.push(t.wall);
        cpuTimes.push(t.cpu);
      }
      const m = median(wall);
      const reference = args.includes("--tree");
      const ok = m < LIMIT_MS;
      if (!ok && !reference) failed = true;
      console.log(
        `epmt ${args.join(" ")}: ${m.toFixed(0)} ms wall, ${
          median(cpuTimes).toFixed(0)
        } ms cpu (${
          reference ? "reference" : ok ? "ok" : "FAIL"
        }, limit ${LIMIT_MS} ms wall)`,
      );
    }
  }
} finally {
  for (const pg of pgs) await pg.drop();
  if (opt.keep) console.log(`kept ${tmp}`);
  else await Deno.remove(tmp, { recursive: true });
}
Deno.exit(failed ? 1 : 0);

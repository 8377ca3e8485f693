/**
 * `epmt list` and `epmt show --tree` on a database holding one
 * 200,000-process job and 1,000 small jobs, on SQLite and PostgreSQL: each
 * must answer in under 1 s (issue 5). Times are medians of the real CLI
 * run as a user runs it, beside a baseline measured in the same run: a
 * fresh Deno process that opens the same database and runs one bare
 * `SELECT count(*) FROM jobs` (start-up + connect + one round trip).
 * The query plans are printed too, and any full scan of a table fails the
 * benchmark.
 *
 *     deno task bench query [--procs N] [--jobs N] [--rounds N] [--keep]
 *
 * The data go in through the real `epmt submit` of generated job
 * directories (one collated CSV file each), so the tree, depth and
 * inclusive cpu are computed as for real jobs.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTestDb, type TestDb } from "../tests/pg.ts";
import { PAPIEX_CSV_HEADER } from "../tests/query_helpers.ts";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";
import { openStore, type SqlValue } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { listJobsSql, TREE_SQL } from "../src/query/sql.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    procs: { type: "string", default: "200000" },
    jobs: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    keep: { type: "boolean", default: false },
  },
});
const PROCS = Number(opt.procs);
const SMALL_JOBS = Number(opt.jobs);
const ROUNDS = Number(opt.rounds);
const LIMIT_MS = 1000;

const ROOT = new URL("..", import.meta.url).pathname;
const LAUNCHER = join(ROOT, "epmt");

// ---------------------------------------------------------------- data

/** A process of a generated job: command, children, and its cpu time. */
interface Proc {
  exe: string;
  args: string;
  cpu: number;
  exit?: number;
  kids: Proc[];
}

/**
 * A workflow-like job of about `n` processes: a job script running steps,
 * each step running many `true`, pipelines (sh with two children) and
 * copies of distinct files; the rest are `hostname` calls at the top.
 */
function bigJob(n: number): Proc {
  const root: Proc = { exe: "bash", args: "job.sh", cpu: 5000, kids: [] };
  const perStep = 1999;
  const steps = Math.max(1, Math.floor((n - 1) / perStep));
  for (let s = 0; s < steps && 1 + (s + 1) * perStep <= n; s++) {
    const step: Proc = {
      exe: "bash",
      args: `step.sh ${s}`,
      cpu: 2000,
      kids: [],
    };
    for (let i = 0; i < 798; i++) {
      step.kids.push({ exe: "true", args: "", cpu: 300, kids: [] });
    }
    for (let i = 0; i < 200; i++) {
      step.kids.push({
        exe: "sh",
        args: "-c cat input.nml | wc -l",
        cpu: 400,
        kids: [
          { exe: "cat", args: "input.nml", cpu: 350, kids: [] },
          { exe: "wc", args: "-l", cpu: 320, kids: [] },
        ],
      });
    }
    for (let i = 0; i < 600; i++) {
      step.kids.push({
        exe: "cp",
        args: `RESTART/ocean_${i}.nc archive/${s}/`,
        cpu: 900 + (i % 7) * 10,
        exit: i === 599 && s === 3 ? 1 : 0,
        kids: [],
      });
    }
    root.kids.push(step);
  }
  let count = 1 + root.kids.length * perStep;
  while (count < n) {
    root.kids.push({ exe: "hostname", args: "", cpu: 250, kids: [] });
    count++;
  }
  return root;
}

/** A small job: a script with a model run and a few tools. */
function smallJob(i: number): Proc {
  return {
    exe: "bash",
    args: "run.sh",
    cpu: 3000,
    kids: [
      { exe: "mkdir", args: "-p out", cpu: 200, kids: [] },
      {
        exe: "model",
        args: `--step ${i}`,
        cpu: 900_000 + (i % 10) * 1000,
        kids: [],
      },
      { exe: "gzip", args: "out/history.nc", cpu: 40_000, kids: [] },
      { exe: "true", args: "", cpu: 100, kids: [] },
    ],
  };
}

/**
 * Writes `<dir>/<host>-collated-papiex-<jobid>-0.csv` for the tree under
 * `root` (pids from 1000 up, children started inside their parent's
 * lifetime) and returns the job's start and end in µs.
 */
function writeCollated(
  dir: string,
  jobid: string,
  root: Proc,
  t0: number,
): [number, number] {
  const path = join(dir, `node01-collated-papiex-${jobid}-0.csv`);
  const file = Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const enc = new TextEncoder();
  const parts: string[] = [PAPIEX_CSV_HEADER + "\n"];
  let size = 0;
  const flush = () => {
    const bytes = enc.encode(parts.join(""));
    let done = 0;
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
    parts.length = 0;
    size = 0;
  };
  let pid = 1000;
  let clock = t0;
  // Depth-first with an explicit stack; a line is written at the end of a
  // process (its end time is known then), as the collector does.
  const write = (
    p: Proc,
    mypid: number,
    ppid: number,
    start: number,
    end: number,
  ) => {
    const u = Math.floor(p.cpu * 0.7);
    const line = [
      "",
      "node01",
      p.exe,
      `/usr/bin/${p.exe}`,
      p.args,
      p.exit ?? 0,
      0,
      mypid,
      0,
      ppid,
      1000,
      1000,
      1,
      0,
      mypid,
      0,
      start,
      end,
      u,
      p.cpu - u,
      2048 + (mypid % 512),
      300,
      0,
      0,
      8,
      2,
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
      512,
      10,
      3,
      0,
      4096,
      0,
      p.cpu * 1000,
      1000,
      3,
    ].join(",");
    parts.push(line + "\n");
    size += line.length;
    if (size > 1 << 22) flush();
  };
  interface Frame {
    p: Proc;
    pid: number;
    ppid: number;
    start: number;
    next: number;
  }
  const stack: Frame[] = [{
    p: root,
    pid: pid++,
    ppid: 1,
    start: clock++,
    next: 0,
  }];
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.next < f.p.kids.length) {
      const k = f.p.kids[f.next++];
      stack.push({ p: k, pid: pid++, ppid: f.pid, start: clock += 3, next: 0 });
    } else {
      stack.pop();
      clock += 5;
      write(f.p, f.pid, f.ppid, f.start, clock);
    }
  }
  flush();
  file.close();
  return [t0, clock];
}

function iso(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace("Z", "+00:00");
}

function metadata(
  jobid: string,
  user: string,
  name: string,
  start: number,
  end: number,
): JobMetadata {
  return {
    format_version: 1,
    exp_component: "ocean",
    exp_jobname: name,
    exp_name: "OM4_bench",
    exp_oname: "0001",
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
    job_tags: { exp_name: "OM4_bench" },
    job_el_env_changes: {},
    job_el_env_changes_len: 0,
    job_el_from_batch: ["SLURM_JOB_ID"],
    job_el_status: 0,
    job_el_stop: iso(end),
    job_runs: [],
  };
}

async function makeJobs(dir: string): Promise<string[]> {
  const dirs: string[] = [];
  const base = Date.UTC(2026, 0, 1) * 1000;
  const big = join(dir, "big");
  await Deno.mkdir(big, { recursive: true });
  const [s, e] = writeCollated(big, "big", bigJob(PROCS), base);
  await Deno.writeTextFile(
    join(big, "job_metadata"),
    encodeMetadata(metadata("big", "alice", "OM4_bench_ocean_0001", s, e + 1)),
  );
  dirs.push(big);
  for (let i = 0; i < SMALL_JOBS; i++) {
    const id = `small${String(i).padStart(4, "0")}`;
    const d = join(dir, id);
    await Deno.mkdir(d);
    const t0 = base + (i + 1) * 3_600_000_000;
    const [s, e] = writeCollated(d, id, smallJob(i), t0);
    await Deno.writeTextFile(
      join(d, "job_metadata"),
      encodeMetadata(
        metadata(
          id,
          i % 10 === 0 ? "bob" : "alice",
          `OM4_bench_ocean_${i}`,
          s,
          e + 1,
        ),
      ),
    );
    dirs.push(d);
  }
  return dirs;
}

// ---------------------------------------------------------------- timing

async function run(
  args: string[],
  env: Record<string, string>,
  program = LAUNCHER,
) {
  const t = performance.now();
  const out = await new Deno.Command(program, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const ms = performance.now() - t;
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return { ms, stdout: dec.decode(out.stdout) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The deno binary and flags the launcher uses, for the baseline. */
function denoBinary(): string {
  for (const e of Deno.readDirSync(join(ROOT, "node_modules", "@deno"))) {
    const p = join(ROOT, "node_modules", "@deno", e.name, "deno");
    try {
      Deno.statSync(p);
      return p;
    } catch {
      // next
    }
  }
  return Deno.execPath();
}

async function baselineScript(dir: string): Promise<string> {
  const path = join(dir, "baseline.ts");
  await Deno.writeTextFile(
    path,
    `import { openStore } from ${JSON.stringify(join(ROOT, "src/db/mod.ts"))};
import { loadSettings } from ${
      JSON.stringify(join(ROOT, "src/settings/mod.ts"))
    };
const store = await openStore(loadSettings(Deno.env.toObject()).settings);
const [r] = await store.query("SELECT count(*) AS n FROM jobs");
console.log(r.n);
await store.close();
`,
  );
  return path;
}

interface Case {
  name: string;
  args: string[];
  /** Held to the 1 s limit of the issue. */
  limited: boolean;
}

const CASES: Case[] = [
  { name: "list", args: ["list"], limited: true },
  {
    name: "list --user bob --limit 0",
    args: ["list", "--user", "bob", "--limit", "0"],
    limited: true,
  },
  {
    name: "list --tag exp_name:OM4_bench",
    args: ["list", "--tag", "exp_name:OM4_bench"],
    limited: true,
  },
  { name: "show --tree big", args: ["show", "--tree", "big"], limited: true },
  {
    name: "show --tree --exact big",
    args: ["show", "--tree", "--exact", "big"],
    limited: true,
  },
  {
    name: "show --tree --depth 1 big",
    args: ["show", "--tree", "--depth", "1", "big"],
    limited: true,
  },
  { name: "show big", args: ["show", "big"], limited: false },
  {
    name: "list procs big --sort cpu",
    args: ["list", "procs", "big", "--sort", "cpu"],
    limited: false,
  },
  {
    name: "show --tree small0500",
    args: ["show", "--tree", "small0500"],
    limited: false,
  },
];

async function plans(env: Record<string, string>): Promise<boolean> {
  const store = await openStore(loadSettings(env).settings);
  let ok = true;
  try {
    const list = listJobsSql(store.provider, {}, 20, 0);
    const user = listJobsSql(store.provider, { user: "bob" }, 0, 0);
    const queries: [string, string, SqlValue[]][] = [
      ["list", list.sql, list.params],
      ["list --user", user.sql, user.params],
      ["show --tree", TREE_SQL, ["big"]],
    ];
    for (const [name, sql, params] of queries) {
      const explain = store.provider === "sqlite"
        ? "EXPLAIN QUERY PLAN "
        : "EXPLAIN ";
      const rows = await store.query(explain + sql, params);
      const text = rows.map((r) => String(r.detail ?? r["QUERY PLAN"])).join(
        "\n      ",
      );
      const scan =
        /\bSCAN (jobs|processes)\b(?! USING)|Seq Scan on (jobs|processes)/.test(
          text,
        );
      if (scan) ok = false;
      console.log(
        `   plan ${name}${scan ? "  FULL SCAN: FAIL" : ""}\n      ${text}`,
      );
    }
  } finally {
    await store.close();
  }
  return ok;
}

async function measure(
  label: string,
  env: Record<string, string>,
  dir: string,
): Promise<boolean> {
  const deno = denoBinary();
  const base = await baselineScript(dir);
  const baseArgs = [
    "run",
    "--quiet",
    "--no-prompt",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    base,
  ];
  await run(baseArgs, env, deno); // warm the module cache
  let ok = true;
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    times.push((await run(baseArgs, env, deno)).ms);
  }
  const baseline = median(times);
  console.log(`-- ${label}`);
  console.log(
    `   ${"baseline: open + SELECT count(*)".padEnd(36)} ${
      baseline.toFixed(0).padStart(6)
    } ms`,
  );
  for (const c of CASES) {
    const t: number[] = [];
    let lines = 0;
    await run(c.args, env);
    for (let i = 0; i < ROUNDS; i++) {
      const r = await run(c.args, env);
      t.push(r.ms);
      lines = r.stdout.split("\n").length - 1;
    }
    const m = median(t);
    const verdict = c.limited
      ? (m < LIMIT_MS ? "ok (< 1 s)" : "FAIL (>= 1 s)")
      : "";
    if (c.limited && m >= LIMIT_MS) ok = false;
    console.log(
      `   ${c.name.padEnd(36)} ${m.toFixed(0).padStart(6)} ms  ${
        (m / baseline).toFixed(2).padStart(5)
      } x baseline  ${String(lines).padStart(6)} lines  ${verdict}`,
    );
  }
  return (await plans(env)) && ok;
}

// ---------------------------------------------------------------- main

const dir = await Deno.makeTempDir({ prefix: "epmt-bench-query-" });
let pg: TestDb | undefined;
let ok = true;
try {
  let t = performance.now();
  const dirs = await makeJobs(join(dir, "jobs"));
  console.log(
    `generated ${
      SMALL_JOBS + 1
    } job directories (${PROCS} + ${SMALL_JOBS} x 5 processes) in ${
      ((performance.now() - t) / 1000).toFixed(1)
    } s`,
  );
  const home = join(dir, "home");
  await Deno.mkdir(home);
  const base = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    TZ: "UTC",
  };
  const sqliteEnv = { ...base, EPMT_DB_FILENAME: join(dir, "epmt.db") };
  pg = await createTestDb("epmt_bench");
  const pgEnv = { ...base, ...pg.env };
  for (
    const [label, env] of [["SQLite", sqliteEnv], [
      "PostgreSQL",
      pgEnv,
    ]] as const
  ) {
    t = performance.now();
    await run(["submit", ...dirs], env);
    console.log(
      `${label}: submitted in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    if (env === pgEnv) {
      // Fresh statistics, as autovacuum would give a real database.
      const s = await openStore(loadSettings(env).settings);
      await s.execute("ANALYZE");
      await s.close();
    }
    ok = await measure(label, env, dir) && ok;
  }
} finally {
  await pg?.drop();
  if (opt.keep) console.log(`kept ${dir}`);
  else await Deno.remove(dir, { recursive: true });
}
console.log(
  ok
    ? "query bench: all limited queries under 1 s, no full scans"
    : "query bench: FAILED",
);
Deno.exit(ok ? 0 : 1);

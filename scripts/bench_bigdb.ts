/**
 * A site-sized PostgreSQL database (issue 13 item 6): 10 million processes
 * over 12 months of jobs, generated inside the server (generate_series into
 * the month partitions: minutes, where submitting them would take hours),
 * then the real CLI as a user runs it, each median of `--rounds`:
 * `list`, `list --user`, `show`, `show --tree` and `ops` (a 2,000-process
 * job), `ops`,
 * `outliers --exp` and `outliers JOBID` (goal: under 1 s each), `dbsize`,
 * and `retire` of the oldest month (goal: under 10 s). The baseline in the
 * same run is `epmt dbsize -h` (start-up alone, no database).
 *
 *     deno task bench bigdb [--procs N] [--months N] [--rounds N] [--keep]
 *
 * Not run by the tests: it needs a few GiB in the PostgreSQL server.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTestDb } from "../tests/pg.ts";
import { openStore } from "../src/db/mod.ts";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "../src/db/columns.ts";
import { createPartitionStatements, monthOf } from "../src/db/partitions.ts";
import { loadSettings } from "../src/settings/mod.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    procs: { type: "string", default: "10000000" },
    months: { type: "string", default: "12" },
    rounds: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const TOTAL = Number(opt.procs);
const MONTHS = Number(opt.months);
const ROUNDS = Number(opt.rounds);
/** Processes per job: most jobs are small; one job a month is big. */
const PER_JOB = 500;
const BIG = 2000;
const JOBS_PER_MONTH = Math.max(
  1,
  Math.round((TOTAL / MONTHS - BIG) / PER_JOB),
);
const ROOT = new URL("..", import.meta.url).pathname;
const USERS = 40;
const EXPS = 25;

function monthStart(k: number): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - MONTHS + 1 + k, 1) *
    1000;
}

/** An SQL expression for each jobs column, from month k's job number i. */
function jobExpr(name: string, k: number): string {
  const start = `(${monthStart(k)}::bigint + i::bigint * 600000000)`;
  const n = `(CASE WHEN i = 0 THEN ${BIG} ELSE ${PER_JOB} END)`;
  const cpu = `(${n}::bigint * (1000000 + (i * 7919) % 500000))`;
  switch (name) {
    case "jobid":
      return `'m${k}_' || i`;
    case "jobname":
      return `'exp' || (i % ${EXPS}) || '_atmos_' || i`;
    case "username":
      return `'user' || (i % ${USERS})`;
    case "hosts":
      return `'["node1", "node2"]'::jsonb`;
    case "start_us":
    case "proc_start_us":
      return start;
    case "end_us":
    case "proc_end_us":
      return `${start} + 3600000000`;
    case "duration_us":
      return `3600000000::bigint + (i * 104729) % 600000000`;
    case "submit_us":
      return `${start} - 60000000`;
    case "exitcode":
      return "0";
    case "exp_name":
      return `'exp' || (i % ${EXPS})`;
    case "exp_component":
      return `'atmos'`;
    case "exp_oname":
      return `'0001'`;
    case "num_procs":
    case "num_threads":
      return n;
    case "cpu_time":
      return cpu;
    case "proc_sums":
      return `jsonb_build_object('cpu_time', ${cpu}, 'usertime', ${cpu},
        'systemtime', 0, 'rssmax_peak', 204800, 'read_bytes', i * 4096,
        'write_bytes', i * 8192, 'rchar', i, 'wchar', i, 'num_procs', ${n},
        'num_threads', ${n})`;
    case "proc_tags":
      return `'[{"op":"ocean"},{"op":"atmos"}]'::jsonb`;
    case "thread_columns":
      return `'["tid","start","end"]'::jsonb`;
    case "loaded_us":
      return `${start} + 4000000000`;
    case "source":
      return `'/bench/' || i`;
  }
  return JOB_COLUMNS.find((c) => c.name === name)!.type === "json"
    ? `'{}'::jsonb`
    : "NULL";
}

/** An SQL expression for each processes column, from job j and index g. */
function procExpr(name: string, type: string, k: number): string {
  switch (name) {
    case "jobid":
      return "j.jobid";
    case "idx":
      return "g";
    case "host":
      return `'node' || (1 + g % 2)`;
    case "pid":
    case "pgid":
    case "sid":
      return "1000 + g";
    case "ppid":
      return "CASE WHEN g = 0 THEN 1 ELSE 1000 END";
    case "generation":
      return "0";
    case "exename":
      return `'prog' || (g % 20)`;
    case "path":
      return `'/usr/bin/prog' || (g % 20)`;
    case "args":
      return `'--step ' || g`;
    case "tags":
      return `CASE WHEN g % 2 = 0 THEN '{"op":"ocean"}'::jsonb
        ELSE '{"op":"atmos"}'::jsonb END`;
    case "start_us":
      return "j.start_us + g * 1000";
    case "end_us":
      return "j.start_us + g * 1000 + 1000000";
    case "duration_us":
      return "1000000";
    case "numtids":
      return "1";
    case "cpu_time":
    case "usertime":
    case "inclusive_cpu_time":
      return "(1000000 + (g * 7919) % 500000)";
    case "parent":
      return "CASE WHEN g = 0 THEN NULL ELSE 0 END";
    case "depth":
      return "CASE WHEN g = 0 THEN 0 ELSE 1 END";
    case "extra_metrics":
    case "threads":
      return "NULL";
    case "exitcode":
    case "exitsignal":
      return "0";
  }
  void k;
  return type === "json" ? "NULL" : "(g * 13) % 100000";
}

async function generate(env: Record<string, string>): Promise<void> {
  const store = await openStore(loadSettings(env).settings);
  try {
    const t0 = performance.now();
    for (let k = 0; k < MONTHS; k++) {
      const t = performance.now();
      await store.execute(
        `INSERT INTO jobs (${JOB_COLUMNS.map((c) => c.name).join(", ")})
         SELECT ${JOB_COLUMNS.map((c) => jobExpr(c.name, k)).join(", ")}
           FROM generate_series(0, ${JOBS_PER_MONTH}) AS i`,
      );
      const part = monthOf(monthStart(k));
      for (const s of createPartitionStatements(part)) await store.execute(s);
      const cols = [...PROCESS_COLUMNS.map((c) => c.name), "job_start_us"];
      const exprs = [
        ...PROCESS_COLUMNS.map((c) => procExpr(c.name, c.type, k)),
        "j.start_us",
      ];
      await store.execute(
        `INSERT INTO ${part.name} (${cols.join(", ")})
         SELECT ${exprs.join(", ")}
           FROM jobs j, generate_series(0, j.num_procs - 1) AS g
          WHERE j.jobid LIKE 'm${k}\\_%'`,
      );
      console.log(
        `  month ${k + 1}/${MONTHS}: ${JOBS_PER_MONTH + 1} jobs in ${
          ((performance.now() - t) / 1000).toFixed(1)
        } s`,
      );
    }
    await store.execute("ANALYZE");
    const [{ n }] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM processes",
    );
    console.log(
      `generated ${n.toLocaleString("en-US")} processes in ${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s`,
    );
  } finally {
    await store.close();
  }
}

async function time(
  args: string[],
  env: Record<string, string>,
  rounds = ROUNDS,
): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    const out = await new Deno.Command(join(ROOT, "epmt"), {
      args,
      env,
      stdout: "null",
      stderr: "piped",
    }).output();
    times.push(performance.now() - t);
    if (out.code !== 0) {
      throw new Error(
        `epmt ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const db = await createTestDb("epmt_bench");
const env = { ...Deno.env.toObject(), ...db.env };
let failed = false;
try {
  console.log(
    `generating ${MONTHS} months of ${JOBS_PER_MONTH + 1} jobs ` +
      `(${PER_JOB} processes, one of ${BIG} a month) in ${db.name}`,
  );
  await generate(env);
  const base = await time(["dbsize", "-h"], env);
  console.log(
    `baseline (epmt start-up, epmt dbsize -h): ${base.toFixed(0)} ms`,
  );
  const last = MONTHS - 1;
  const checks: [string, string[], number][] = [
    ["list", ["list"], 1000],
    ["list --user", ["list", "--user", "user7"], 1000],
    ["show", ["show", `m${last}_5`], 1000],
    ["show --tree (2,000 processes)", ["show", "--tree", `m${last}_0`], 1000],
    ["ops (2,000 processes)", ["ops", `m${last}_0`], 1000],
    ["ops", ["ops", `m${last}_5`], 1000],
    ["outliers --exp", ["outliers", "--exp", "exp3"], 1000],
    ["outliers JOBID", ["outliers", `m${last}_3`], 1000],
    ["dbsize", ["dbsize"], 5000],
  ];
  for (const [label, args, limit] of checks) {
    const ms = await time(args, env);
    const ok = ms < limit;
    failed ||= !ok;
    console.log(
      `${label.padEnd(32)} ${ms.toFixed(0).padStart(6)} ms  ${
        (ms / base).toFixed(1)
      }x start-up  ${ok ? "ok" : `SLOWER than ${limit} ms`}`,
    );
  }
  const retireMs = await time(
    ["retire", "--before", new Date(monthStart(1) / 1000).toISOString()],
    env,
    1,
  );
  const ok = retireMs < 10000;
  failed ||= !ok;
  console.log(
    `${"retire the oldest month".padEnd(32)} ${
      retireMs.toFixed(0).padStart(6)
    } ms  (${JOBS_PER_MONTH + 1} jobs, one partition)  ${
      ok ? "ok" : "SLOWER than 10 s"
    }`,
  );
} finally {
  if (opt.keep) console.log(`kept database ${db.name}`);
  else await db.drop();
}
Deno.exit(failed ? 1 : 0);

/**
 * Site operations at scale, on SQLite and PostgreSQL:
 *
 * - retire of the oldest month of a database holding `--months` months of
 *   `--jobs` jobs a month, `--procs` processes each: wall time, process
 *   rows per second, and the longest single transaction (what a submit
 *   running meanwhile may wait for). On PostgreSQL the month goes as one
 *   partition; the same retire row by row (partitions: false) is the
 *   baseline it is compared with. On SQLite rows go in bounded batches.
 * - dbsize on that database.
 * - the ingest daemon: `epmt daemon --once` over a folder of `--drop`
 *   staged archives against `epmt submit FOLDER` of the same archives into
 *   a fresh database, as jobs per second and their ratio.
 *
 *     deno task bench site [--months N] [--jobs N] [--procs N] [--drop N]
 *
 * Jobs for the retire go in through the store's own insertJob (the path
 * submit takes: COPY on PostgreSQL, partition made on demand), with
 * synthetic process rows, so the database is built in seconds.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTestDb } from "../tests/pg.ts";
import { generatedJob } from "../tests/query_helpers.ts";
import { createArchive } from "../src/archive/mod.ts";
import {
  type JobRow,
  openStore,
  type ProcessRows,
  type SqlValue,
  type Store,
} from "../src/db/mod.ts";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "../src/db/columns.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { dbSize, retire } from "../src/site/mod.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    months: { type: "string", default: "3" },
    jobs: { type: "string", default: "200" },
    procs: { type: "string", default: "1000" },
    drop: { type: "string", default: "40" },
  },
});
const MONTHS = Number(opt.months);
const JOBS = Number(opt.jobs);
const PROCS = Number(opt.procs);
const DROP = Number(opt.drop);
const ROOT = new URL("..", import.meta.url).pathname;

function syntheticRows(jobid: string, n: number): ProcessRows {
  const cols = PROCESS_COLUMNS;
  return {
    length: n,
    fill(i: number, out: SqlValue[], offset: number) {
      for (let c = 0; c < cols.length; c++) {
        const col = cols[c];
        let v: SqlValue;
        switch (col.name) {
          case "jobid":
            v = jobid;
            break;
          case "idx":
            v = i;
            break;
          case "parent":
            v = i === 0 ? null : 0;
            break;
          case "depth":
            v = i === 0 ? 0 : 1;
            break;
          default:
            v = col.type === "text"
              ? `${col.name}_${i % 97}`
              : col.type === "json"
              ? null
              : (i * 7 + c) % 100000;
        }
        out[offset + c] = v;
      }
    },
  };
}

function jobRow(jobid: string, startUs: number): JobRow {
  const row: JobRow = {};
  for (const c of JOB_COLUMNS) {
    row[c.name] = c.type === "json" ? "{}" : null;
  }
  return {
    ...row,
    jobid,
    jobname: "bench",
    username: "bench",
    hosts: '["node1"]',
    proc_tags: "[]",
    thread_columns: "[]",
    start_us: startUs,
    end_us: startUs + 3_600_000_000,
    duration_us: 3_600_000_000,
    num_procs: PROCS,
    num_threads: PROCS,
    loaded_us: Date.now() * 1000,
  };
}

/** Months back from last month: the first is the oldest, retired. */
function monthStartUs(k: number): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - MONTHS + k, 1) *
    1000;
}

async function fill(store: Store): Promise<number> {
  const t0 = performance.now();
  for (let m = 0; m < MONTHS; m++) {
    const base = monthStartUs(m);
    for (let j = 0; j < JOBS; j++) {
      const jobid = `m${m}j${j}`;
      await store.insertJob(
        jobRow(jobid, base + j * 60_000_000),
        syntheticRows(jobid, PROCS),
      );
    }
  }
  return (performance.now() - t0) / 1000;
}

function perSecond(n: number, s: number): string {
  return `${(n / s).toFixed(1)} jobs/s`;
}

function rate(n: number, s: number): string {
  return `${Math.round(n / s).toLocaleString("en-US")}/s`;
}

async function retireBench(
  name: string,
  env: Record<string, string>,
): Promise<void> {
  const settings = loadSettings(env).settings;
  const variants = name === "postgres"
    ? [["whole partitions", true], ["row by row (baseline)", false]] as const
    : [["row batches", false]] as const;
  for (const [label, partitions] of variants) {
    const store = await openStore(settings);
    try {
      await store.resetSchema();
      const fillS = await fill(store);
      const rows = MONTHS * JOBS * PROCS;
      console.log(
        `${name}: ${MONTHS} months x ${JOBS} jobs x ${PROCS} processes ` +
          `(${rows.toLocaleString("en-US")} rows) stored in ${
            fillS.toFixed(1)
          } s (${rate(rows, fillS)})`,
      );
      const t = performance.now();
      const size = await dbSize(store);
      const sizeMs = performance.now() - t;
      const procs = size.tables.find((x) => x.table === "processes");
      console.log(
        `  dbsize: ${sizeMs.toFixed(0)} ms; total ${
          (size.totalBytes / 2 ** 20).toFixed(0)
        } MiB, processes ${((procs?.bytes ?? 0) / 2 ** 20).toFixed(0)} MiB = ${
          ((procs?.bytes ?? 0) / rows).toFixed(0)
        } bytes per process row`,
      );
      const r = await retire(store, { jobsBeforeUs: monthStartUs(1) }, {
        partitions,
      });
      const s = r.elapsedMs / 1000;
      console.log(
        `  retire a month, ${label}: ${r.jobs} jobs, ${
          r.jobProcesses.toLocaleString("en-US")
        } process rows in ${s.toFixed(2)} s (${
          rate(r.jobProcesses, s)
        }); ${r.transactions} transactions, the longest ${
          r.longestTransactionMs.toFixed(0)
        } ms`,
      );
    } finally {
      await store.close();
    }
  }
}

async function epmt(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(join(ROOT, "epmt"), {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `epmt ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function daemonBench(
  name: string,
  env: Record<string, string>,
  dir: string,
): Promise<void> {
  const scratch = join(dir, "jobs");
  const archives = join(dir, "archives");
  await Deno.mkdir(archives, { recursive: true });
  for (let i = 0; i < DROP; i++) {
    const jobid = `d${i}`;
    const job = await generatedJob(scratch, jobid, {
      exe: "bash",
      cpu: 100,
      kids: Array.from({ length: 49 }, (_, k) => ({
        exe: "cp",
        args: `f${k}`,
        cpu: 10,
      })),
    }, 1e6);
    const files = [...Deno.readDirSync(job)].map((e) => e.name);
    await createArchive(join(archives, `${jobid}.tgz`), job, files);
  }
  const times: Record<string, number> = {};
  for (const how of ["submit", "daemon"]) {
    const drop = join(dir, how);
    await Deno.mkdir(drop);
    for (const e of Deno.readDirSync(archives)) {
      await Deno.copyFile(join(archives, e.name), join(drop, e.name));
    }
    const fresh = { ...env, EPMT_DB_FILENAME: join(dir, `${how}.db`) };
    const st = await openStore(loadSettings(fresh).settings);
    await st.resetSchema();
    await st.close();
    const t = performance.now();
    await epmt(
      how === "submit"
        ? ["submit", drop]
        : ["daemon", "--ingest", drop, "--once", "--interval", "0.1"],
      fresh,
    );
    times[how] = (performance.now() - t) / 1000;
  }
  console.log(
    `${name}: ${DROP} staged archives of 50 processes: daemon --once ${
      times.daemon.toFixed(2)
    } s (${perSecond(DROP, times.daemon)}), submit FOLDER ${
      times.submit.toFixed(2)
    } s (${perSecond(DROP, times.submit)}); ratio ${
      (times.submit / times.daemon).toFixed(2)
    }x (the daemon's two looks take 0.1 s)`,
  );
}

const dir = await Deno.makeTempDir({ prefix: "epmt-bench-site-" });
const pg = await createTestDb("epmt_bench");
try {
  const sqliteEnv = {
    HOME: dir,
    EPMT_DB_PROVIDER: "sqlite",
    EPMT_DB_FILENAME: join(dir, "retire.db"),
  };
  const pgEnv = { HOME: dir, ...pg.env };
  await retireBench("sqlite", sqliteEnv);
  await retireBench("postgres", pgEnv);
  await daemonBench("sqlite", sqliteEnv, join(dir, "d-sqlite"));
  await daemonBench("postgres", pgEnv, join(dir, "d-postgres"));
} finally {
  await pg.drop();
  await Deno.remove(dir, { recursive: true });
}

/**
 * Shared by the query tests: job directories from the shared fixtures or
 * generated, submitted with the real `epmt submit` into SQLite and a fresh
 * PostgreSQL database; and independent readers of what the files say.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { epmt, type Result, sandbox } from "./helpers.ts";
import { createTestDb } from "./pg.ts";
import {
  metadata as submitMetadata,
  PAPIEX,
  papiexFields,
  writeFixtureJob,
} from "./submit_jobs.ts";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";

export { PAPIEX };

/**
 * A complete job_metadata record (our JSON form) for `jobid`: the submit
 * tests' record, in UTC and without job tags.
 */
export function metadata(
  jobid: string,
  extra: Partial<JobMetadata> = {},
): JobMetadata {
  return submitMetadata(jobid, {
    job_pl_env: { HOME: "/home/alice" },
    job_pl_env_len: 1,
    job_pl_start: "2026-11-25T10:00:00.000000+00:00",
    job_pl_submit: "2026-11-25T09:59:00.000000+00:00",
    job_tags: {},
    job_el_stop: "2026-11-25T10:05:00.000000+00:00",
    ...extra,
  });
}

/**
 * `<parent>/<jobid>/` with copies of the collector files of fixture folder
 * `fixture` (../shared/fixtures/papiex/...) and a job_metadata.
 */
export async function fixtureJob(
  parent: string,
  jobid: string,
  fixture: string,
  extra: Partial<JobMetadata> = {},
): Promise<string> {
  return await writeFixtureJob(parent, fixture, metadata(jobid, extra));
}

/** A process of a generated job. */
export interface GenProcess {
  exe: string;
  args?: string;
  /** µs of user time (system time is a tenth of it). */
  cpu: number;
  /** µs the process lives. */
  duration?: number;
  tags?: string;
  kids?: GenProcess[];
}

/** The header line of a current papiex CSV file (the query bench uses it too). */
export const PAPIEX_CSV_HEADER =
  "tags,hostname,exename,path,args,exitcode,exitsignal,pid,generation,ppid,pgid,sid," +
  "numtids,mpinumranks,tid,mpirank,start,end,usertime,systemtime,rssmax,minflt,majflt," +
  "inblock,outblock,vol_ctxsw,invol_ctxsw,cminflt,cmajflt,cutime,cstime,num_threads," +
  "starttime,processor,delayacct_blkio_time,guest_time,rchar,wchar,syscr,syscw," +
  "read_bytes,write_bytes,cancelled_write_bytes,time_oncpu,time_waiting,timeslices";

/**
 * `<parent>/<jobid>/` holding a generated job: one papiex CSV file per
 * process (children start inside their parent's life) and a job_metadata
 * whose stop is `wallUs` after its start.
 */
export async function generatedJob(
  parent: string,
  jobid: string,
  root: GenProcess,
  wallUs: number,
  extra: Partial<JobMetadata> = {},
): Promise<string> {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  const t0 = Date.UTC(2026, 10, 25, 10) * 1000;
  let pid = 2000;
  let clock = t0 + 1000;
  const write = async (p: GenProcess, ppid: number): Promise<void> => {
    const me = pid++;
    const start = clock;
    clock += 10;
    for (const k of p.kids ?? []) await write(k, me);
    const end = Math.max(clock, start + (p.duration ?? 100));
    clock = end + 10;
    const sys = Math.floor(p.cpu / 10);
    const row = [
      p.tags ?? "",
      "vm",
      p.exe,
      `/usr/bin/${p.exe}`,
      (p.args ?? "").replace(/[\\,]/g, (c) => "\\" + c),
      0,
      0,
      me,
      0,
      ppid,
      me,
      1,
      1,
      0,
      me,
      0,
      start,
      end,
      p.cpu - sys,
      sys,
      2048,
      100,
      0,
      0,
      0,
      1,
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
      1000,
      100,
      5,
      1,
      0,
      0,
      0,
      p.cpu * 1000,
      0,
      1,
    ];
    await Deno.writeTextFile(
      join(dir, `vm-papiex-${me}-0.csv`),
      `${PAPIEX_CSV_HEADER}\n${row.join(",")}\n`,
    );
  };
  await write(root, 1);
  const iso = (us: number) =>
    new Date(us / 1000).toISOString().replace("Z", "+00:00");
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(
      metadata(jobid, {
        job_pl_start: iso(t0),
        job_el_stop: iso(t0 + wallUs),
        ...extra,
      }),
    ),
  );
  return dir;
}

/** The sandbox env for SQLite, then for a fresh PostgreSQL database. */
export async function withBothDbs(
  t: Deno.TestContext,
  fn: (
    env: Record<string, string>,
    dir: string,
    step: Deno.TestContext,
  ) => Promise<void>,
): Promise<void> {
  const box = await sandbox();
  const pg = await createTestDb();
  try {
    await t.step("sqlite", (s) => fn(box.env, join(box.dir, "sqlite"), s));
    await t.step(
      "postgres",
      (s) => fn({ ...box.env, ...pg.env }, join(box.dir, "postgres"), s),
    );
  } finally {
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
}

/** Runs epmt and checks it succeeded; returns its result. */
export async function ok(
  args: string[],
  env: Record<string, string>,
): Promise<Result> {
  const r = await epmt(args, { env });
  assertEquals(r.code, 0, `epmt ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** Runs epmt with --json and parses its output. */
export async function jsonOf<T = unknown>(
  args: string[],
  env: Record<string, string>,
): Promise<T> {
  return JSON.parse((await ok([...args, "--json"], env)).stdout) as T;
}

/** One process as a papiex CSV file says, read without src/ingest. */
export interface FileProcess {
  fields: Record<string, string>;
  /** The thread rows (the first is the process's own). */
  threads: Record<string, string>[];
}

/** Every process of the papiex CSV files in `dir`, by pid. */
export function readPapiexDir(dir: string): Map<number, FileProcess> {
  const out = new Map<number, FileProcess>();
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".csv")) continue;
    const lines = Deno.readTextFileSync(join(dir, e.name)).split("\n").filter((
      l,
    ) => l !== "");
    const names = lines[0].split(",");
    let current: FileProcess | undefined;
    for (const line of lines.slice(1)) {
      const f = papiexFields(line);
      const rec = Object.fromEntries(names.map((n, i) => [n, f[i] ?? ""]));
      if (rec.pid !== "") {
        current = { fields: rec, threads: [] };
        out.set(Number(rec.pid), current);
      }
      current!.threads.push(rec);
    }
  }
  return out;
}

/** Parses RFC 4180 CSV (quoted fields may hold commas, quotes, newlines). */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

/**
 * PostgreSQL at site scale: processes partitioned by job start month (an
 * old unpartitioned database is migrated, rows and all); 16 submitters at
 * once, with duplicates of each other's jobs, directly and through
 * pgbouncer in transaction pooling mode: every job stored exactly once,
 * the duplicates refused cleanly.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { epmt, LAUNCHER, sandbox } from "./helpers.ts";
import { connectTestServer, createTestDb } from "./pg.ts";
import { startPgbouncer } from "./pgbouncer.ts";
import { generatedJob, jsonOf, ok } from "./query_helpers.ts";
import { baseStatements } from "../src/db/schema.ts";

const SUBMITTERS = 16;
const JOBS = 32;
const PROCS = 40;

/** Job i starts in one of three months, two of them new to the database. */
function startOf(i: number): string {
  const month = ["2026-09", "2026-10", "2026-11"][i % 3];
  return `${month}-1${i % 10}T08:00:00.000000+00:00`;
}

async function makeJobs(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const jobid = `6${String(i).padStart(3, "0")}`;
    paths.push(
      await generatedJob(
        dir,
        jobid,
        {
          exe: "bash",
          cpu: 100,
          kids: Array.from({ length: PROCS - 1 }, (_, k) => ({
            exe: "cp",
            args: `f${k}`,
            cpu: 10,
          })),
        },
        1e6,
        { job_pl_start: startOf(i), job_el_stop: startOf(i) },
      ),
    );
  }
  return paths;
}

/**
 * 16 `epmt submit` at once: submitter s takes jobs 2s, 2s+1 and the two
 * after them (another submitter's), so every job is sent twice.
 */
async function submitAll(
  paths: string[],
  env: Record<string, string>,
): Promise<{ loaded: string[]; refused: string[]; other: string[] }> {
  const runs = Array.from({ length: SUBMITTERS }, (_, s) => {
    const mine = [0, 1, 2, 3].map((k) => paths[(2 * s + k) % JOBS]);
    return new Deno.Command(LAUNCHER, {
      args: ["submit", ...mine],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  });
  const outs = await Promise.all(runs);
  const lines = outs.flatMap((o) =>
    new TextDecoder().decode(o.stdout).trim().split("\n")
  ).filter((l) => !/^loaded \d+ of/.test(l));
  return {
    loaded: lines.filter((l) => l.startsWith("loaded job")),
    refused: lines.filter((l) => /is already in the database/.test(l)),
    other: lines.filter((l) =>
      !l.startsWith("loaded job") && !/is already in the database/.test(l)
    ),
  };
}

async function checkStoredOnce(env: Record<string, string>): Promise<void> {
  const jobs = await jsonOf<{ jobid: string; num_procs: number }[]>(
    ["list", "--limit", "0"],
    env,
  );
  assertEquals(jobs.length, JOBS);
  const sql = connectTestServer(env.EPMT_DB_DBNAME);
  try {
    const rows = await sql<{ jobid: string; n: number }[]>`
      SELECT jobid, count(*)::int AS n FROM processes GROUP BY jobid`;
    assertEquals(rows.length, JOBS);
    assert(rows.every((r) => r.n === PROCS), "each job's processes once");
    const parts = await sql<{ name: string }[]>`
      SELECT c.relname AS name FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'processes' ORDER BY 1`;
    assertEquals(parts.map((p) => p.name), [
      "processes_y2026m09",
      "processes_y2026m10",
      "processes_y2026m11",
    ]);
  } finally {
    await sql.end();
  }
}

Deno.test("16 concurrent submitters with duplicates: each job stored once", async (t) => {
  const box = await sandbox();
  const paths = await makeJobs(join(box.dir, "jobs"));
  try {
    await t.step("directly", async () => {
      const db = await createTestDb();
      try {
        const env = { ...box.env, ...db.env };
        const r = await submitAll(paths, env);
        assertEquals(r.other, [], "no other failure");
        assertEquals(r.loaded.length, JOBS);
        assertEquals(r.refused.length, JOBS);
        await checkStoredOnce(env);
      } finally {
        await db.drop();
      }
    });
    await t.step("through pgbouncer, transaction pooling", async (s) => {
      const bouncer = await startPgbouncer(4);
      if (typeof bouncer === "string") {
        console.log(`skipped: ${bouncer}`);
        return;
      }
      const db = await createTestDb();
      try {
        const env = {
          ...box.env,
          ...db.env,
          EPMT_DB_PORT: String(bouncer.port),
        };
        const r = await submitAll(paths, env);
        assertEquals(r.other, [], "no other failure");
        assertEquals(r.loaded.length, JOBS);
        assertEquals(r.refused.length, JOBS);
        await checkStoredOnce(env);
        await s.step("queries, retire and dbsize work through it", async () => {
          const show = await ok(["show", "6000"], env);
          assertMatch(show.stdout, /Processes:\s+40 /);
          await ok(["list", "procs", "6001"], env);
          const size = await jsonOf<
            { tables: { table: string; partitions: number }[] }
          >(
            ["dbsize"],
            env,
          );
          assertEquals(
            size.tables.find((x) => x.table === "processes")?.partitions,
            3,
          );
          const gone = await ok(["retire", "--before", "2026-10-01"], env);
          assertMatch(gone.stdout, /deleted 11 jobs .*\(440 processes\)/);
          assertMatch(
            gone.stdout,
            /dropped 1 whole partition: processes_y2026m09/,
          );
        });
      } finally {
        await db.drop();
        await bouncer.stop();
      }
    });
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("an unpartitioned database is migrated: every process row kept, in its month", async () => {
  const db = await createTestDb();
  const box = await sandbox();
  try {
    const sql = connectTestServer(db.name);
    try {
      for (const s of baseStatements("postgres")) await sql.unsafe(s);
      const jobs = [
        ["a", Date.UTC(2025, 11, 31, 23, 59) * 1000, 3],
        ["b", Date.UTC(2026, 0, 1, 0, 0) * 1000, 2],
        ["c", null, 1],
      ] as const;
      for (const [jobid, start, n] of jobs) {
        await sql`INSERT INTO jobs (jobid, start_us, num_procs)
          VALUES (${jobid}, ${start}, ${n})`;
        for (let i = 0; i < n; i++) {
          await sql`INSERT INTO processes (jobid, idx, exename)
            VALUES (${jobid}, ${i}, ${"x" + i})`;
        }
      }
    } finally {
      await sql.end();
    }
    const env = { ...box.env, ...db.env };
    await ok(["list"], env); // opening it migrates it
    const sql2 = connectTestServer(db.name);
    try {
      const rows = await sql2<{ part: string; jobid: string; n: number }[]>`
        SELECT tableoid::regclass::text AS part, jobid, count(*)::int AS n
          FROM processes GROUP BY 1, 2 ORDER BY 2`;
      assertEquals(rows.map((r) => [r.part, r.jobid, r.n]), [
        ["processes_y2025m12", "a", 3],
        ["processes_y2026m01", "b", 2],
        ["processes_y1970m01", "c", 1],
      ]);
      const [{ exists }] = await sql2<{ exists: boolean }[]>`
        SELECT to_regclass('processes_unpartitioned') IS NOT NULL AS exists`;
      assertEquals(exists, false);
    } finally {
      await sql2.end();
    }
    const r = await epmt(["retire", "--before", "2026-01-01"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /deleted 2 jobs .*\(4 processes\)/);
    assertMatch(
      r.stdout,
      /dropped 2 whole partitions: processes_y1970m01, processes_y2025m12/,
    );
  } finally {
    await db.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

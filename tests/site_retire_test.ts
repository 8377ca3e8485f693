/**
 * `epmt retire` on real SQLite and PostgreSQL: old jobs go with all their
 * rows, newer ones lose only their process rows (show says so), -n changes
 * nothing, and a retire in small batches ends in the same place.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { epmt } from "./helpers.ts";
import {
  generatedJob,
  type GenProcess,
  ok,
  withBothDbs,
} from "./query_helpers.ts";
import { openStore } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { retire } from "../src/site/mod.ts";

const DAY_MS = 86_400_000;

/** A job tree of `n` processes: a root with n - 1 children. */
function tree(n: number): GenProcess {
  return {
    exe: "bash",
    cpu: 1000,
    kids: Array.from({ length: n - 1 }, (_, i) => ({
      exe: "cp",
      args: `f${i}`,
      cpu: 100,
    })),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

/** Jobs started `ages` days ago, `procs` processes each, submitted. */
async function submitAged(
  env: Record<string, string>,
  dir: string,
  ages: Record<string, number>,
  procs = 5,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [jobid, age] of Object.entries(ages)) {
    const start = Date.now() - age * DAY_MS;
    await generatedJob(dir, jobid, tree(procs), 60_000_000, {
      job_pl_start: iso(start),
      job_el_stop: iso(start + 60_000),
    });
  }
  await ok(["submit", dir], env);
}

async function counts(
  env: Record<string, string>,
): Promise<Record<string, number>> {
  const store = await openStore(loadSettings(env).settings);
  try {
    const rows = await store.query<{ jobid: string; n: number }>(
      `SELECT j.jobid AS jobid, (SELECT count(*) FROM processes p
          WHERE p.jobid = j.jobid) AS n FROM jobs j ORDER BY j.jobid`,
    );
    return Object.fromEntries(rows.map((r) => [r.jobid, Number(r.n)]));
  } finally {
    await store.close();
  }
}

/** The jobs that have a stored analysis (made at submit). */
async function analysed(env: Record<string, string>): Promise<string[]> {
  const store = await openStore(loadSettings(env).settings);
  try {
    const rows = await store.query<{ jobid: string }>(
      "SELECT jobid FROM analyses ORDER BY jobid",
    );
    return rows.map((r) => r.jobid);
  } finally {
    await store.close();
  }
}

Deno.test("retire deletes old jobs and old jobs' processes", async (t) => {
  await withBothDbs(t, async (env, dir, s) => {
    await submitAged(env, dir, { old1: 400, old2: 200, mid: 100, young: 3 });
    await s.step("-n changes nothing", async () => {
      const r = await ok(["retire", "-n", "--days", "150"], env);
      assertMatch(
        r.stdout,
        /would delete 2 jobs started before .* \(10 processes\)/,
      );
      assertEquals(Object.keys(await counts(env)).length, 4);
      assertEquals(await analysed(env), ["mid", "old1", "old2", "young"]);
    });
    await s.step("nothing configured: says so, changes nothing", async () => {
      const r = await ok(["retire"], env);
      assertMatch(r.stdout, /nothing to retire/);
    });
    await s.step(
      "settings: jobs after 150 days, processes after 30",
      async () => {
        const r = await ok(["retire"], {
          ...env,
          EPMT_RETIRE_JOBS_NDAYS: "150",
          EPMT_RETIRE_PROCS_NDAYS: "30",
        });
        assertMatch(r.stdout, /deleted 2 jobs .* \(10 processes\)/);
        assertMatch(
          r.stdout,
          /dropped the process rows of 1 job .*\(5 processes; the jobs stay\)/,
        );
        assertEquals(await counts(env), { mid: 0, young: 5 });
        // A deleted job's analysis goes with it; a job whose processes
        // were retired keeps its analysis.
        assertEquals(await analysed(env), ["mid", "young"]);
        if (env.EPMT_DB_PROVIDER === "postgres") {
          // Three months wholly before their cutoffs: dropped, not deleted.
          assertMatch(
            r.stdout,
            /dropped 3 whole partitions: processes_y\d{4}m\d\d, /,
          );
        }
      },
    );
    await s.step(
      "show says the processes were retired, sums kept",
      async () => {
        const r = await ok(["show", "mid"], env);
        assertMatch(r.stdout, /Processes:\s+5 .*process rows retired/);
        const j = JSON.parse((await ok(["show", "mid", "--json"], env)).stdout);
        assertEquals(j.num_procs, 5);
        assert(j.procs_retired_us > 0);
        assertEquals(j.cpu_time_us, 1000 + 4 * 100);
        const tr = await ok(["show", "--tree", "mid"], env);
        assertMatch(tr.stdout, /their rows were retired/);
        const young = await ok(["show", "young"], env);
        assert(!/retired/.test(young.stdout));
      },
    );
    await s.step("again: nothing more goes", async () => {
      const r = await ok([
        "retire",
        "--json",
        "--days",
        "150",
        "--procs-days",
        "30",
      ], env);
      const j = JSON.parse(r.stdout);
      assertEquals([j.jobs, j.procs_jobs], [0, 0]);
    });
    await s.step("--before DATE", async () => {
      const r = await ok([
        "retire",
        "--before",
        iso(Date.now() - 50 * DAY_MS).replace("+00:00", "Z"),
      ], env);
      assertMatch(r.stdout, /deleted 1 job /);
      assertEquals(await counts(env), { young: 5 });
      assertEquals(await analysed(env), ["young"]);
    });
  });
});

Deno.test("retire in tiny batches: a big job goes in slices, all of it", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await submitAged(env, join(dir, "a"), {
      big: 300,
      small1: 300,
      small2: 300,
    }, 7);
    await submitAged(env, join(dir, "b"), { keep: 1 }, 7);
    const store = await openStore(loadSettings(env).settings);
    try {
      const batches: number[] = [];
      const r = await retire(
        store,
        { jobsBeforeUs: (Date.now() - 100 * DAY_MS) * 1000 },
        {
          batchRows: 3,
          batchJobs: 2,
          onBatch: (_w, _j, rows) => batches.push(rows),
          partitions: false, // row by row on PostgreSQL too
        },
      );
      assertEquals([r.jobs, r.jobProcesses], [3, 21]);
      assert(Math.max(...batches) <= 3, `batches ${batches}`);
      assert(r.transactions >= 7, `${r.transactions} transactions`);
    } finally {
      await store.close();
    }
    assertEquals(await counts(env), { keep: 7 });
  });
});

Deno.test("retire: bad options are one clear line", async () => {
  for (
    const [args, re] of [
      [["retire", "--days", "x"], /--days wants a whole number/],
      [["retire", "--before", "yesterday"], /retire --before: expected a date/],
      [["retire", "--days", "3", "--before", "2026-01-01"], /not both/],
    ] as const
  ) {
    const r = await epmt([...args]);
    assertEquals(r.code, 2, r.stderr);
    assertMatch(r.stderr, re);
  }
  const r = await epmt(["retire"], { env: { EPMT_RETIRE_JOBS_NDAYS: "-3" } });
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /retire_jobs_ndays: expected a number of days >= 0/);
});

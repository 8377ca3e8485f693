/**
 * submit under duress, on SQLite and PostgreSQL: killed with SIGKILL while
 * it writes (the job is stored whole or not at all), and several submits at
 * once into one fresh database (no job lost, none stored twice).
 */
import { assertEquals, assertMatch } from "./assert.ts";
import { exists, LAUNCHER, sandbox } from "./helpers.ts";
import { connectTestServer, createTestDb } from "./pg.ts";
import { bigJob } from "./submit_jobs.ts";
import { openStore } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { join } from "node:path";

async function counts(env: Record<string, string>) {
  const store = await openStore(loadSettings(env).settings);
  try {
    const [j] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM jobs",
    );
    const [p] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM processes",
    );
    return { jobs: j.n, processes: p.n };
  } finally {
    await store.close();
  }
}

function spawnSubmit(args: string[], env: Record<string, string>) {
  return new Deno.Command(LAUNCHER, {
    args: ["submit", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `cond` holds, polling every 2 ms (fails after 30 s). */
async function until(cond: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(2);
  }
}

Deno.test("submit killed with SIGKILL while writing leaves no partial job", async (t) => {
  const box = await sandbox();
  const pg = await createTestDb();
  const dir = join(box.dir, "big");
  const n = await bigJob(dir, "big1", 60_000);
  const admin = connectTestServer();
  try {
    const cases: [string, Record<string, string>, () => Promise<boolean>][] = [
      [
        "sqlite",
        box.env,
        () => exists(box.env.EPMT_DB_FILENAME + "-journal"),
      ],
      ["postgres", { ...box.env, ...pg.env }, async () => {
        const rows = await admin`SELECT 1 FROM pg_stat_activity
          WHERE datname = ${pg.name} AND query LIKE 'COPY processes%'`;
        return rows.length > 0;
      }],
    ];
    for (const [name, env, writing] of cases) {
      await t.step(name, async () => {
        // Creates the schema, so the killed run starts writing sooner.
        assertEquals(await counts(env), { jobs: 0, processes: 0 });
        const child = spawnSubmit([dir], env);
        await until(writing);
        child.kill("SIGKILL");
        const status = await child.status;
        await child.stdout.cancel();
        await child.stderr.cancel();
        assertEquals(status.signal, "SIGKILL", "killed before it finished");
        assertEquals(await counts(env), { jobs: 0, processes: 0 });
        // And the database is usable: the same job loads whole.
        const out = await spawnSubmit([dir], env).output();
        const text = new TextDecoder().decode(out.stdout);
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        assertMatch(text, new RegExp(`loaded job big1 \\(${n} processes`));
        assertEquals(await counts(env), { jobs: 1, processes: n });
      });
    }
  } finally {
    await admin.end();
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("concurrent submits into one fresh database: each job stored once, whole", async (t) => {
  const box = await sandbox();
  const pg = await createTestDb();
  const jobs = [join(box.dir, "c1"), join(box.dir, "c2")];
  const sizes = [
    await bigJob(jobs[0], "c1", 15_000),
    await bigJob(jobs[1], "c2", 12_000),
  ];
  try {
    for (
      const [name, env] of [["sqlite", box.env], ["postgres", {
        ...box.env,
        ...pg.env,
      }]] as const
    ) {
      await t.step(name, async () => {
        // Each job twice, all four at once, into a database without schema.
        const children = [0, 1, 0, 1].map((j) => spawnSubmit([jobs[j]], env));
        const outs = await Promise.all(children.map((c) => c.output()));
        const dec = new TextDecoder();
        const ok = outs.filter((o) => o.code === 0);
        const failed = outs.filter((o) => o.code !== 0);
        assertEquals(
          ok.length,
          2,
          outs.map((o) => dec.decode(o.stderr)).join(),
        );
        assertEquals(failed.length, 2);
        for (const f of failed) {
          assertMatch(
            dec.decode(f.stderr),
            /^ERROR:epmt: job c[12] is already in the database \(.*\)\n$/,
          );
        }
        const loaded = ok.map((o) => dec.decode(o.stdout)).sort();
        assertMatch(loaded[0], /^loaded job c1 /);
        assertMatch(loaded[1], /^loaded job c2 /);
        assertEquals(await counts(env), {
          jobs: 2,
          processes: sizes[0] + sizes[1],
        });
        const store = await openStore(loadSettings(env).settings);
        try {
          const per = await store.query<{ jobid: string; n: number }>(
            "SELECT jobid, count(*) AS n FROM processes GROUP BY jobid ORDER BY jobid",
          );
          assertEquals(per, [{ jobid: "c1", n: sizes[0] }, {
            jobid: "c2",
            n: sizes[1],
          }]);
        } finally {
          await store.close();
        }
      });
    }
  } finally {
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

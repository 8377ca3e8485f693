import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "./assert.ts";
import { connectTestServer, createTestDb } from "./pg.ts";
import { openStore, type Store } from "../src/db/mod.ts";
import {
  DatabaseUnavailableError,
  DuplicateJobError,
} from "../src/db/store.ts";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "../src/db/columns.ts";
import { numberPlaceholders } from "../src/db/postgres.ts";
import { threadsOf } from "../src/db/threads.ts";
import { CopyEncoder } from "../src/db/copy_text.ts";
import { SCHEMA_VERSION } from "../src/db/schema.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { UserError } from "../src/errors.ts";
import { join } from "node:path";

/** Runs `fn` against a fresh SQLite file and a fresh PostgreSQL database. */
async function onBoth(
  t: Deno.TestContext,
  fn: (store: Store, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-db-test-" });
  const pg = await createTestDb();
  try {
    const envs = {
      sqlite: { HOME: dir, EPMT_DB_FILENAME: join(dir, "sub", "epmt.db") },
      postgres: { HOME: dir, ...pg.env },
    };
    for (const [name, env] of Object.entries(envs)) {
      await t.step(name, async () => {
        const store = await openStore(loadSettings(env).settings);
        try {
          await fn(store, env);
        } finally {
          await store.close();
        }
      });
    }
  } finally {
    await pg.drop();
    await Deno.remove(dir, { recursive: true });
  }
}

const ARGS = "a,b\tc\\d\ne \"q\" 's' ü";

function rows(jobid: string, n: number) {
  return {
    length: n,
    fill(i: number, out: (string | number | null)[], o: number) {
      PROCESS_COLUMNS.forEach((col, k) => {
        out[o + k] = col.type === "text"
          ? `t${i}`
          : col.type === "json"
          ? null
          : i * 1000 + k;
      });
      out[o] = jobid;
      out[o + 1] = i;
      out[o + 10] = ARGS; // args
      out[o + 11] = i % 2 ? '{"op":"ocean"}' : null; // tags
      out[o + 16] = 1795659616915099 + i; // start_us: beyond 2^32
    },
  };
}

/** rows(jobid, n), with row `at` changed by `edit` once it is filled. */
function rowsEditedAt(
  jobid: string,
  n: number,
  at: number,
  edit: (out: (string | number | null)[], o: number) => void,
) {
  const r = rows(jobid, n);
  const fill = r.fill;
  r.fill = (i, out, o) => {
    fill(i, out, o);
    if (i === at) edit(out, o);
  };
  return r;
}

function job(jobid: string) {
  const row: Record<string, string | number | null> = {};
  for (const c of JOB_COLUMNS) {
    row[c.name] = c.type === "json" ? "{}" : c.type === "text" ? "" : 0;
  }
  return {
    ...row,
    jobid,
    username: "alice",
    hosts: '["n1","n2"]',
    proc_sums: '{"cpu_time":5,"usertime":3}',
  };
}

Deno.test("store: schema, jobs and processes round-trip on both databases", async (t) => {
  await onBoth(t, async (store) => {
    assertEquals(await store.hasJob("j1"), false);
    await store.insertJob(job("j1"), rows("j1", 37)); // not a multiple of 16
    assertEquals(await store.hasJob("j1"), true);
    const [c] = await store.query<{ n: number; m: number }>(
      "SELECT count(*) AS n, max(start_us) AS m FROM processes WHERE jobid = ?",
      ["j1"],
    );
    assertEquals({ ...c }, { n: 37, m: 1795659616915099 + 36 });
    const [p] = await store.query<Record<string, unknown>>(
      "SELECT args, tags, host FROM processes WHERE jobid = ? AND idx = ?",
      ["j1", 3],
    );
    assertEquals(p.args, ARGS);
    assertEquals(JSON.parse(p.tags as string), { op: "ocean" });
    const tagged = await store.query(
      "SELECT idx FROM processes WHERE jobid = ? AND tags->>'op' = ? ORDER BY idx",
      ["j1", "ocean"],
    );
    assertEquals(tagged.length, 18);
    const [j] = await store.query<Record<string, unknown>>(
      "SELECT proc_sums->>'cpu_time' AS cpu, hosts->>1 AS h2, annotations FROM jobs",
    );
    assertEquals(Number(j.cpu), 5);
    assertEquals(j.h2, "n2");
    assertEquals(j.annotations, "{}");
    const users = await store.query("SELECT name FROM users");
    assertEquals(users.map((u) => ({ ...u })), [{ name: "alice" }]);
  });
});

Deno.test("store: a duplicate job is refused and nothing changes", async (t) => {
  await onBoth(t, async (store) => {
    await store.insertJob(job("dup"), rows("dup", 5));
    const e = await assertRejects(
      () => store.insertJob(job("dup"), rows("dup", 9)),
      DuplicateJobError,
      "job dup is already in the database",
    );
    assert(e instanceof UserError);
    const [c] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM processes",
    );
    assertEquals(c.n, 5);
  });
});

Deno.test("store: a failing process row rolls the whole job back", async (t) => {
  await onBoth(t, async (store) => {
    const bad = rowsEditedAt("bad", 100, 70, (out, o) => {
      out[o + 1] = 0; // duplicate (jobid, idx)
    });
    await assertRejects(() => store.insertJob(job("bad"), bad), UserError);
    assertEquals(await store.hasJob("bad"), false);
    const [c] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM processes",
    );
    assertEquals(c.n, 0);
  });
});

Deno.test("store: PostgreSQL counts the copied rows back, with its statistics or without", async () => {
  // The count after COPY comes from the transaction's statistics; with
  // track_counts off there are none, and the rows are counted instead.
  const pg = await createTestDb();
  const admin = connectTestServer(pg.name);
  try {
    for (const counts of ["on", "off"]) {
      await admin.unsafe(
        `ALTER DATABASE ${pg.name} SET track_counts = ${counts}`,
      );
      const store = await openStore(loadSettings({ ...pg.env }).settings);
      try {
        const [{ track_counts }] = await store.query<{ track_counts: string }>(
          "SHOW track_counts",
        );
        assertEquals(track_counts, counts);
        // Two jobs on one connection: the statistics of the first are
        // still pending (not flushed) while the second is copied.
        for (const id of [`j-${counts}`, `k-${counts}`]) {
          await store.insertJob(job(id), rows(id, 41));
          assertEquals(await store.hasJob(id), true);
        }
        // A COPY refused by the server still rolls the job back.
        const bad = rowsEditedAt(`bad-${counts}`, 50, 49, (out, o) => {
          out[o + 1] = 3; // duplicate (jobid, idx), last row
        });
        const e = await assertRejects(
          () => store.insertJob(job(`bad-${counts}`), bad),
          UserError,
          `storing job bad-${counts} failed: `,
        );
        // The server answered: not "cannot connect", which is retried.
        assert(!(e instanceof DatabaseUnavailableError), e.message);
        assertEquals(await store.hasJob(`bad-${counts}`), false);
      } finally {
        await store.close();
      }
    }
    const [c] = await admin<{ n: number }[]>`
      SELECT count(*)::int AS n FROM processes`;
    assertEquals(c.n, 164);
  } finally {
    await admin.end();
    await pg.drop();
  }
});

Deno.test("store: a bad value met while storing is the job's failure, not a lost connection", async (t) => {
  await onBoth(t, async (store) => {
    // The rows' source fails part way through (as a decoding fault
    // would): JavaScript's own error, inside the transaction.
    const odd = rowsEditedAt("odd", 5000, 4000, () => {
      throw new RangeError("offset is out of bounds");
    });
    const e = await assertRejects(
      () => store.insertJob(job("odd"), odd),
      Error,
      "offset is out of bounds",
    );
    assert(!(e instanceof DatabaseUnavailableError), e.message);
    if (store.provider === "postgres") {
      assert(e instanceof UserError);
      assertStringIncludes(e.message, "storing job odd failed: ");
    }
    // Nothing of it stays, and the store goes on working.
    assertEquals(await store.hasJob("odd"), false);
    const [c] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM processes",
    );
    assertEquals(Number(c.n), 0);
    await store.insertJob(job("next"), rows("next", 7));
    assertEquals(await store.hasJob("next"), true);
  });
});

Deno.test("store: transactions commit or roll back; resetSchema empties", async (t) => {
  await onBoth(t, async (store) => {
    await store.insertJob(job("keep"), rows("keep", 3));
    await assertRejects(() =>
      store.transaction(async (tx) => {
        await tx.execute("UPDATE jobs SET annotations = ? WHERE jobid = ?", [
          '{"a":"1"}',
          "keep",
        ]);
        throw new Error("changed my mind");
      })
    );
    const [j] = await store.query<{ annotations: string }>(
      "SELECT annotations FROM jobs",
    );
    assertEquals(j.annotations, "{}");
    const changed = await store.transaction((tx) =>
      tx.execute("UPDATE jobs SET annotations = ? WHERE jobid = ?", [
        '{"a":"1"}',
        "keep",
      ])
    );
    assertEquals(changed, 1);
    await store.resetSchema();
    assertEquals(await store.query("SELECT * FROM jobs"), []);
    const [v] = await store.query<{ version: number }>(
      "SELECT version FROM schema_version",
    );
    assertEquals(v.version, SCHEMA_VERSION);
  });
});

Deno.test("store: a database with a newer schema is refused", async (t) => {
  await onBoth(t, async (store, env) => {
    await store.execute("UPDATE schema_version SET version = 99");
    await assertRejects(
      () => openStore(loadSettings(env).settings),
      UserError,
      `schema version 99, newer than this epmt understands (${SCHEMA_VERSION})`,
    );
  });
});

Deno.test("store: unreachable PostgreSQL is one line without the password", async () => {
  const env = {
    HOME: "/nonexistent",
    EPMT_DB_PROVIDER: "postgres",
    EPMT_DB_HOST: "127.0.0.1",
    EPMT_DB_PORT: "1",
    EPMT_DB_USER: "someone",
    EPMT_DB_PASSWORD: "pa55word",
    EPMT_DB_DBNAME: "nowhere",
  };
  const e = await assertRejects(
    () => openStore(loadSettings(env).settings),
    UserError,
    "cannot connect to PostgreSQL database nowhere at 127.0.0.1:1 as user someone",
  );
  assert(!e.message.includes("pa55word"));
  assert(!e.message.includes("\n"));
});

Deno.test("numberPlaceholders numbers ? outside quotes", () => {
  assertEquals(
    numberPlaceholders("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ?"),
    "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = $2",
  );
});

Deno.test("threadsOf gives stored threads, or the row as the one thread", () => {
  const cols = ["tid", "start", "end", "usertime", "PERF_COUNT_SW_CPU_CLOCK"];
  assertEquals(
    threadsOf(cols, {
      pid: 7,
      start_us: 10,
      end_us: 20,
      usertime: 5,
      extra_metrics: '{"PERF_COUNT_SW_CPU_CLOCK":99}',
      threads: null,
    }),
    [[7, 10, 20, 5, 99]],
  );
  assertEquals(
    threadsOf(cols, { threads: "[[7,10,20,3],[8,11,19,2,1]]" }),
    [[7, 10, 20, 3, null], [8, 11, 19, 2, 1]],
  );
});

Deno.test("CopyEncoder writes COPY text: escapes, NULL, numbers, UTF-8", () => {
  const enc = new CopyEncoder(4); // tiny: it must grow
  enc.row(["a\tb\nc\\d\re", null, 0, -12, 1795659616915099, 2.5, "ü→x\t"], 7);
  enc.row([""], 1);
  assertEquals(
    new TextDecoder().decode(enc.take()),
    "a\\tb\\nc\\\\d\\re\t\\N\t0\t-12\t1795659616915099\t2.5\tü→x\\t\n\n",
  );
  assertEquals(enc.size, 0);
  // Numbers on both sides of the small-integer fast path.
  const nums = [
    9,
    10,
    99,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 + 7,
    2 ** 53 - 1,
    -(2 ** 31),
    -(2 ** 31) - 1,
    -(2 ** 53) + 1,
  ];
  enc.row(nums, nums.length);
  assertEquals(
    new TextDecoder().decode(enc.take()),
    nums.map(String).join("\t") + "\n",
  );
});

Deno.test("store: opening a database does not wait for a writer's lock", async (t) => {
  await onBoth(t, async (store, env) => {
    let release: () => Promise<void>;
    if (store.provider === "sqlite") {
      const { DatabaseSync } = await import("node:sqlite");
      const other = new DatabaseSync(env.EPMT_DB_FILENAME);
      other.exec("BEGIN IMMEDIATE"); // what a running submit holds
      release = () => Promise.resolve(other.exec("ROLLBACK"));
    } else {
      const { default: postgres } = await import("postgres");
      const sql = postgres({
        host: env.EPMT_DB_HOST,
        database: env.EPMT_DB_DBNAME,
        username: env.EPMT_DB_USER,
        max: 1,
        onnotice: () => {},
      });
      const reserved = await sql.reserve();
      await reserved`BEGIN`;
      await reserved`SELECT pg_advisory_xact_lock(${0x65706d74})`;
      release = async () => {
        await reserved`ROLLBACK`;
        reserved.release();
        await sql.end();
      };
    }
    try {
      const t0 = performance.now();
      const reader = await openStore(loadSettings(env).settings);
      const rows = await reader.query("SELECT count(*) AS n FROM jobs");
      await reader.close();
      assertEquals(rows, [{ n: 0 }]);
      assert(performance.now() - t0 < 5000, "did not wait for the lock");
    } finally {
      await release();
    }
  });
});

/**
 * submit's behaviour through the real CLI: refusals, -n, --drop, bad input
 * and archives, the current job, an unreachable database. Each case runs on
 * SQLite and PostgreSQL.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt, exists, LAUNCHER, runCmd, sandbox } from "./helpers.ts";
import { connectTestServer, createTestDb } from "./pg.ts";
import { jobFromFixture, metadata, PAPIEX, tarGz } from "./submit_jobs.ts";
import { openStore } from "../src/db/mod.ts";
import { encodeMetadata } from "../src/job/metadata.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { join } from "node:path";

interface Db {
  name: string;
  env: Record<string, string>;
  dir: string;
  /** Rows of a query on the test database. */
  query(
    sql: string,
    params?: (string | number)[],
  ): Promise<Record<string, unknown>[]>;
}

/** Runs `fn` once on a fresh SQLite file, once on a fresh PostgreSQL db. */
async function onBoth(
  t: Deno.TestContext,
  fn: (db: Db) => Promise<void>,
): Promise<void> {
  const pg = await createTestDb();
  try {
    for (const name of ["sqlite", "postgres"]) {
      await t.step(name, async () => {
        const box = await sandbox();
        const env = name === "sqlite" ? box.env : { ...box.env, ...pg.env };
        // Archives are extracted under TMPDIR: keep it ours, to check it is
        // left empty.
        await Deno.mkdir(join(box.dir, "tmp"));
        env.TMPDIR = join(box.dir, "tmp");
        const query = async (sql: string, params: (string | number)[] = []) => {
          const store = await openStore(loadSettings(env).settings);
          try {
            return await store.query<Record<string, unknown>>(sql, params);
          } finally {
            await store.close();
          }
        };
        try {
          await fn({ name, env, dir: box.dir, query });
        } finally {
          await Deno.remove(box.dir, { recursive: true });
        }
      });
    }
  } finally {
    await pg.drop();
  }
}

async function count(db: Db, table: string): Promise<number> {
  const [r] = await db.query(`SELECT count(*) AS n FROM ${table}`);
  return r.n as number;
}

/** Every file under `dir` with its content, to see nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    out[e.name] = await Deno.readTextFile(join(dir, e.name));
  }
  return out;
}

Deno.test("submit refuses a stored job and changes nothing", async (t) => {
  await onBoth(t, async (db) => {
    const job = await jobFromFixture(db.dir, "dup1", "tree");
    assertEquals((await epmt(["submit", job], { env: db.env })).code, 0);
    const [before] = await db.query("SELECT loaded_us FROM jobs");
    const r = await epmt(["submit", job], { env: db.env });
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      /^ERROR:epmt: job dup1 is already in the database \(.*\)\n$/,
    );
    assertMatch(
      r.stdout,
      /^FAILED .*dup1: job dup1 is already in the database/,
    );
    assertEquals(await count(db, "processes"), 9);
    assertEquals(await db.query("SELECT loaded_us FROM jobs"), [before]);
  });
});

Deno.test("submit of several jobs: each its own transaction, a summary, exit 1 if any failed", async (t) => {
  await onBoth(t, async (db) => {
    const good = await jobFromFixture(db.dir, "good", "threads");
    const bad = await jobFromFixture(db.dir, "bad", "tree");
    const file = join(bad, "vm-papiex-5672-0.csv");
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace(/,0,5672,/, ",x,5672,"));
    const before = await snapshot(bad);
    const r = await epmt(["submit", bad, good], { env: db.env });
    assertEquals(r.code, 1);
    assertEquals(
      r.stderr,
      `ERROR:epmt: ${file}:2: column exitsignal: "x" is not a number\n`,
    );
    assertEquals(
      r.stdout,
      `FAILED ${bad}: ${file}:2: column exitsignal: "x" is not a number\n` +
        `loaded job good (1 process, 5 threads) from ${good}\n` +
        "loaded 1 of 2 jobs, 1 failed\n",
    );
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: "good" }]);
    assertEquals(await count(db, "processes"), 1);
    assertEquals(await snapshot(bad), before, "input untouched");
  });
});

Deno.test("submit -n reads and checks everything and writes nothing", async (t) => {
  await onBoth(t, async (db) => {
    const job = await jobFromFixture(db.dir, "dry", "tree");
    for (const args of [["-n", "submit", job], ["submit", "-n", job]]) {
      const r = await epmt(args, { env: db.env });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        r.stdout,
        `would load job dry (9 processes, 9 threads) from ${job}\n`,
      );
    }
    if (db.name === "sqlite") {
      // Not even created.
      assert(!(await exists(db.env.EPMT_DB_FILENAME)));
    } else {
      const tables = await adminTables(db.env.EPMT_DB_DBNAME);
      assertEquals(tables, 0);
    }
    // -n still finds bad input.
    await Deno.writeTextFile(
      join(job, "vm-papiex-5670-0.csv"),
      "garbage\n1,2\n",
    );
    const r = await epmt(["-n", "submit", job], { env: db.env });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /vm-papiex-5670-0\.csv:1: the header lacks columns/);
  });
});

/** Tables in the public schema of a PostgreSQL database (without epmt). */
async function adminTables(dbname: string): Promise<number> {
  const sql = connectTestServer(dbname);
  try {
    const [r] =
      await sql`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
    return r.n;
  } finally {
    await sql.end();
  }
}

Deno.test("submit --drop recreates the schema first; -n --drop drops nothing", async (t) => {
  await onBoth(t, async (db) => {
    const a = await jobFromFixture(db.dir, "a", "single");
    const b = await jobFromFixture(db.dir, "b", "failing");
    assertEquals((await epmt(["submit", a], { env: db.env })).code, 0);
    assertEquals(
      (await epmt(["-n", "--drop", "submit", b], { env: db.env })).code,
      0,
    );
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: "a" }]);
    // Without a terminal to ask on, --drop needs --yes.
    const refused = await epmt(["--drop", "submit", b], { env: db.env });
    assertEquals(refused.code, 1);
    assertMatch(
      refused.stderr,
      /^ERROR:epmt: --drop would delete 1 job \(1 process\) in (SQLite|PostgreSQL) .*: add --yes to confirm \(nothing dropped\)\n$/,
    );
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: "a" }]);
    const r = await epmt(["--drop", "submit", "--yes", b], { env: db.env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /^dropped 1 job \(1 process\) in .*; recreated its schema\nloaded job b /,
    );
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: "b" }]);
    assertEquals(await count(db, "processes"), 2);
    // Also after the command name, and with nothing else to do.
    const r2 = await epmt(["submit", "--drop", "-y", a], { env: db.env });
    assertEquals(r2.code, 0, r2.stderr);
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: "a" }]);
    // On a terminal it asks, and only "yes" drops.
    for (const [answer, code, left] of [["no", 1, "a"], ["yes", 0, "b"]]) {
      const tty = await runCmd(
        "script",
        ["-qec", `"${LAUNCHER}" --drop submit "${b}"`, "/dev/null"],
        { env: db.env, stdin: `${answer}\n` },
      );
      assertEquals(tty.code, code, tty.stdout);
      assertStringIncludes(
        tty.stdout,
        "--drop deletes 1 job (1 process) in ",
      );
      assertEquals(await db.query("SELECT jobid FROM jobs"), [{ jobid: left }]);
    }
  });
});

Deno.test("submit: bad inputs are one error line each, nothing stored", async (t) => {
  await onBoth(t, async (db) => {
    const cases: [string, () => Promise<string>, RegExp][] = [
      [
        "no such path",
        () => Promise.resolve(join(db.dir, "nope")),
        /nope does not exist$/,
      ],
      ["a plain file", async () => {
        const f = join(db.dir, "plain.txt");
        await Deno.writeTextFile(f, "x");
        return f;
      }, /plain\.txt is neither a job directory nor an archive/],
      ["no job_metadata", async () => {
        const d = await jobFromFixture(db.dir, "nometa", "single");
        await Deno.remove(join(d, "job_metadata"));
        return d;
      }, /nometa\/job_metadata is missing: not an epmt job directory\?$/],
      [
        "started, not stopped",
        async () => {
          const d = await jobFromFixture(db.dir, "started", "single");
          await Deno.rename(
            join(d, "job_metadata"),
            join(d, "job_metadata.tmp"),
          );
          return d;
        },
        /started is a job that was started but not stopped .*run epmt stop first$/,
      ],
      ["undecodable job_metadata", async () => {
        const d = await jobFromFixture(db.dir, "badmeta", "single");
        await Deno.writeFile(
          join(d, "job_metadata"),
          new Uint8Array([0x80, 4, 0x95, 0xff]),
        );
        return d;
      }, /badmeta\/job_metadata/],
      [
        "a missing thread row",
        async () => {
          const d = await jobFromFixture(db.dir, "threadless", "threads");
          const f = join(d, "vm-papiex-11967-0.csv");
          const lines = (await Deno.readTextFile(f)).split("\n");
          await Deno.writeTextFile(f, lines.slice(0, 4).join("\n") + "\n");
          return d;
        },
        /vm-papiex-11967-0\.csv:4: the process at line 2 \(pid 11967\) has 3 of its 5 thread rows/,
      ],
      [
        // SQLite stored it as a REAL, PostgreSQL refused the COPY: both
        // must refuse it while reading, naming file, line and column.
        "a 26-digit pid",
        async () => {
          const d = await jobFromFixture(db.dir, "hugepid", "single");
          const f = join(d, "vm-papiex-5649-0.csv");
          const text = await Deno.readTextFile(f);
          await Deno.writeTextFile(
            f,
            text.replace(",5649,", ",12345678901234567890123456,"),
          );
          return d;
        },
        /vm-papiex-5649-0\.csv:2: column pid: 12345678901234567890123456 is out of range \(its magnitude is at most 9007199254740991\)$/,
      ],
      [
        "an exit code beyond an int",
        async () => {
          const d = await jobFromFixture(db.dir, "hugeexit", "single");
          const f = join(d, "vm-papiex-5649-0.csv");
          const text = await Deno.readTextFile(f);
          // exitcode, exitsignal, pid
          await Deno.writeTextFile(
            f,
            text.replace(",0,0,5649,", ",4294967296,0,5649,"),
          );
          return d;
        },
        /vm-papiex-5649-0\.csv:2: column exitcode: 4294967296 is out of range \(its magnitude is at most 2147483647\)$/,
      ],
      [
        "a file cut short in its last line",
        async () => {
          const d = await jobFromFixture(db.dir, "cut", "single");
          const f = join(d, "vm-papiex-5649-0.csv");
          const text = await Deno.readTextFile(f);
          await Deno.writeTextFile(f, text.slice(0, text.length - 3));
          return d;
        },
        /vm-papiex-5649-0\.csv:2: the file ends in the middle of this line \(no line end\): it was cut short$/,
      ],
      [
        "a TSV without its header file",
        async () => {
          const d = await jobFromFixture(db.dir, "tsvless", "collated");
          await Deno.remove(join(d, "vm-papiex-header.tsv"));
          return d;
        },
        /vm-papiex\.tsv has no header file .*vm-papiex-header\.tsv beside it$/,
      ],
    ];
    for (const [what, make, message] of cases) {
      const input = await make();
      const r = await epmt(["submit", input], { env: db.env });
      assertEquals(r.code, 1, what);
      const lines = r.stderr.trimEnd().split("\n");
      assertEquals(lines.length, 1, `${what}: ${r.stderr}`);
      assertMatch(lines[0], /^ERROR:epmt: /);
      assertMatch(lines[0], message, what);
    }
    assertEquals(await count(db, "jobs"), 0);
    assertEquals(await count(db, "processes"), 0);
  });
});

Deno.test("submit: archives, good, corrupt and hostile; the temporary directory is always removed", async (t) => {
  await onBoth(t, async (db) => {
    const meta = encodeMetadata(metadata("arch1"));
    const csv = await Deno.readTextFile(
      join(PAPIEX, "single/vm-papiex-5649-0.csv"),
    );
    const good = join(db.dir, "arch1.tgz");
    await tarGz(good, [
      { name: "./", type: "5" },
      { name: "./job_metadata", content: meta },
      { name: "./vm-papiex-5649-0.csv", content: csv },
    ]);
    const truncated = join(db.dir, "truncated.tgz");
    const bytes = await Deno.readFile(good);
    await Deno.writeFile(truncated, bytes.subarray(0, bytes.length - 30));
    const garbage = join(db.dir, "garbage.tar.gz");
    await Deno.writeTextFile(garbage, "this is not gzip at all");
    const hostile: [
      string,
      string,
      { name: string; type?: string; link?: string },
    ][] = [
      ["dotdot", "../evil.csv", { name: "../evil.csv" }],
      ["absolute", "/tmp/evil.csv", { name: "/tmp/epmt-evil.csv" }],
      ["symlink", "link", {
        name: "./vm-papiex-1-0.csv",
        type: "2",
        link: "/etc/passwd",
      }],
      ["hardlink", "link", {
        name: "./vm-papiex-1-0.csv",
        type: "1",
        link: "/etc/passwd",
      }],
    ];
    const hostiles: string[] = [];
    for (const [what, , entry] of hostile) {
      const f = join(db.dir, `${what}.tgz`);
      await tarGz(f, [
        { name: "./job_metadata", content: meta },
        { ...entry, content: csv },
      ]);
      hostiles.push(f);
    }
    const r = await epmt(["submit", truncated, garbage, ...hostiles, good], {
      env: db.env,
    });
    assertEquals(r.code, 1);
    const errors = r.stderr.trimEnd().split("\n");
    assertEquals(errors.length, 2 + hostiles.length, r.stderr);
    assertMatch(errors[0], /^ERROR:epmt: .*truncated\.tgz/);
    assertMatch(errors[1], /^ERROR:epmt: .*garbage\.tar\.gz/);
    for (let i = 0; i < hostiles.length; i++) {
      assertMatch(
        errors[2 + i],
        new RegExp(`^ERROR:epmt: .*${hostile[i][0]}\\.tgz`),
      );
    }
    assertMatch(
      r.stdout,
      /loaded job arch1 \(1 process, 1 thread\) from .*arch1\.tgz\n/,
    );
    assertMatch(r.stdout, /loaded 1 of 7 jobs, 6 failed\n$/);
    assertEquals(await db.query("SELECT jobid FROM jobs"), [{
      jobid: "arch1",
    }]);
    // Nothing left in TMPDIR, nothing written beside the archives.
    assertEquals([...Deno.readDirSync(db.env.TMPDIR)], []);
    assert(!(await exists(join(db.dir, "evil.csv"))));
    assert(!(await exists("/tmp/epmt-evil.csv")));
    assert(!(await exists(join(db.dir, "..", "evil.csv"))));
  });
});

Deno.test("submit with no argument loads the current job's directory", async (t) => {
  await onBoth(t, async (db) => {
    const out = db.env.EPMT_PAPIEX_OUTPUT;
    await jobFromFixture(join(out, "alice"), "4242", "tree", {
      job_pl_username: "alice",
    });
    const env = {
      ...db.env,
      SLURM_JOB_ID: "4242",
      SLURM_JOB_USER: "alice",
      SLURM_JOB_NAME: "x",
    };
    const r = await epmt(["submit"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^loaded job 4242 \(9 processes, 9 threads\)/);
  });
});

Deno.test("submit: processes outside the job's window are kept, with one warning", async (t) => {
  await onBoth(t, async (db) => {
    const job = await jobFromFixture(db.dir, "late", "tree", {
      // one second of slack: 4 processes start before 02:20:17.139 UTC
      job_pl_start: "2026-11-25T21:20:18.139000-05:00",
    });
    const r = await epmt(["submit", job], { env: db.env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      /^WARNING:epmt: job late: 4 processes outside the job's start\/stop window \(kept\), first at .*\.csv:2\n$/,
    );
    assertEquals(await count(db, "processes"), 9);
  });
});

Deno.test("submit: an unreachable database is one line naming it, never the password", async () => {
  const box = await sandbox();
  const job = await jobFromFixture(box.dir, "lost", "single");
  const r = await epmt(["submit", job], {
    env: {
      ...box.env,
      EPMT_DB_PROVIDER: "postgres",
      EPMT_DB_HOST: "127.0.0.1",
      EPMT_DB_PORT: "1",
      EPMT_DB_USER: "carol",
      EPMT_DB_DBNAME: "jobs",
      EPMT_DB_PASSWORD: "s3cr3t-pw",
    },
  });
  assertEquals(r.code, 1);
  assertMatch(
    r.stderr,
    /^ERROR:epmt: cannot connect to PostgreSQL database jobs at 127\.0\.0\.1:1 as user carol: .*ECONNREFUSED.*\n$/,
  );
  assert(!r.stderr.includes("s3cr3t") && !r.stdout.includes("s3cr3t"));
  await Deno.remove(box.dir, { recursive: true });
});

Deno.test("submit never stores a password found in the job's environment", async (t) => {
  await onBoth(t, async (db) => {
    const job = await jobFromFixture(db.dir, "secret", "single", {
      job_pl_env: {
        EPMT_DB_PASSWORD: "hunter2",
        PGPASSWORD: "hunter3",
        HOME: "/h",
      },
    });
    assertEquals((await epmt(["submit", job], { env: db.env })).code, 0);
    const [row] = await db.query("SELECT env, metadata FROM jobs");
    assert(!String(row.env).includes("hunter"), String(row.env));
    assert(!String(row.metadata).includes("hunter"));
    assertEquals(JSON.parse(String(row.env)).HOME, "/h");
  });
});

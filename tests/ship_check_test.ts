import { assert, assertEquals, assertMatch } from "./assert.ts";
import { epmt, exists, sandbox } from "./helpers.ts";
import { createTestDb } from "./pg.ts";
import { join } from "node:path";
import { SCHEMA_VERSION } from "../src/db/mod.ts";

/** The check lines of `epmt check` output, by check name. */
function lines(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.trimEnd().split("\n")) {
    const r = /^(OK|FAIL) {2,}(\S+) {2,}/.exec(line);
    assert(r, `not a check line: ${JSON.stringify(line)}`);
    m.set(r[2], line);
  }
  return m;
}

Deno.test("check: each problem is one FAIL line with its fix, and exit 1", async (t) => {
  const box = await sandbox();

  await t.step("a broken settings file", async () => {
    const file = join(box.dir, "broken.json");
    await Deno.writeTextFile(file, '{"db_params": ');
    const r = await epmt(["check"], {
      env: { ...box.env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 1);
    assertMatch(
      lines(r.stdout).get("settings")!,
      /^FAIL {2}settings +.*broken\.json is not valid JSON.*; fix: correct the file/,
    );
  });

  await t.step("a settings file with keys epmt does not know", async () => {
    const file = join(box.dir, "typo.json");
    await Deno.writeTextFile(
      file,
      JSON.stringify({ papiex_ouptut: "/x/", db_params: { colour: "red" } }),
    );
    const r = await epmt(["check"], {
      env: { ...box.env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 1);
    assertEquals(
      lines(r.stdout).get("settings"),
      `FAIL  settings             ${file}: unknown keys papiex_ouptut ` +
        `(did you mean papiex_output?), db_params.colour, ignored; ` +
        `fix: correct or remove it ('epmt help' lists the keys)`,
    );
  });

  await t.step("no collector where install_prefix points", async () => {
    const prefix = join(box.dir, "empty-prefix");
    const r = await epmt(["check"], {
      env: { ...box.env, EPMT_INSTALL_PREFIX: prefix },
    });
    assertEquals(r.code, 1);
    assertEquals(
      lines(r.stdout).get("collector"),
      `FAIL  collector            no collector library found under ${prefix} ` +
        `(looked for ${prefix}/lib/libepmt.so, ${prefix}/native/libepmt.so, ` +
        `${prefix}/lib/libpapiex.so + libmonitor.so); fix: keep ` +
        `lib/libepmt.so beside the epmt program, or set install_prefix ` +
        `(EPMT_INSTALL_PREFIX) to the folder holding lib/libepmt.so`,
    );
  });

  await t.step("a collector that does not load", async () => {
    const prefix = join(box.dir, "bad-prefix");
    await Deno.mkdir(join(prefix, "lib"), { recursive: true });
    await Deno.writeTextFile(join(prefix, "lib", "libepmt.so"), "not ELF");
    const r = await epmt(["check"], {
      env: { ...box.env, EPMT_INSTALL_PREFIX: prefix },
    });
    assertEquals(r.code, 1);
    assertMatch(
      lines(r.stdout).get("collector")!,
      /^FAIL {2}collector +.*bad-prefix\/lib\/libepmt\.so does not load: .*cannot be preloaded.*; fix: /,
    );
  });

  await t.step("papiex_output that cannot be written", async () => {
    const file = join(box.dir, "a-file");
    await Deno.writeTextFile(file, "");
    const r = await epmt(["check"], {
      env: { ...box.env, EPMT_PAPIEX_OUTPUT: join(file, "out") + "/" },
    });
    assertEquals(r.code, 1);
    assertMatch(
      lines(r.stdout).get("papiex_output")!,
      /^FAIL {2}papiex_output +.*a-file\/out\/ is not writable .*; fix: create it writable/,
    );
  });

  await t.step("perf_event_paranoid is read and explained", async () => {
    const level = (await Deno.readTextFile(
      "/proc/sys/kernel/perf_event_paranoid",
    )).trim();
    const r = await epmt(["check"], { env: box.env });
    assertMatch(
      lines(r.stdout).get("perf_event_paranoid")!,
      new RegExp(`^(OK {4}|FAIL {2})perf_event_paranoid {2}${level}: `),
    );
  });

  await t.step("an option the collector does not know", async () => {
    const r = await epmt(["check"], {
      env: {
        ...box.env,
        EPMT_PAPIEX_OPTIONS: "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_CPU_CLOKC",
      },
    });
    assertEquals(r.code, 1);
    assertMatch(
      lines(r.stdout).get("papiex_options")!,
      /^FAIL {2}papiex_options +PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_SW_CPU_CLOKC: unknown to the collector: PERF_COUNT_SW_CPU_CLOKC; fix: /,
    );
  });

  await t.step("an unreachable PostgreSQL, password never shown", async () => {
    const r = await epmt(["check"], {
      env: {
        ...box.env,
        EPMT_DB_PROVIDER: "postgres",
        EPMT_DB_HOST: "127.0.0.1",
        EPMT_DB_PORT: "1",
        EPMT_DB_PASSWORD: "s3cret-pw",
      },
    });
    assertEquals(r.code, 1);
    assertMatch(
      lines(r.stdout).get("database")!,
      /^FAIL {2}database +.*127\.0\.0\.1:1.*; fix: start the server or correct db_params/,
    );
    assert(!(r.stdout + r.stderr).includes("s3cret-pw"));
  });

  await t.step("arguments are a usage error", async () => {
    const r = await epmt(["check", "extra"], { env: box.env });
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /^ERROR:epmt: check takes no arguments/);
  });

  await Deno.remove(box.dir, { recursive: true });
});

Deno.test("check: a working installation passes every check, exit 0", async (t) => {
  const box = await sandbox();
  const env = { ...box.env, SLURM_JOB_ID: `chk${Deno.pid}` };

  await t.step("SQLite not created yet, then holding one job", async () => {
    let r = await epmt(["check"], { env });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    const got = lines(r.stdout);
    assertEquals(
      [...got.keys()],
      [
        "settings",
        "collector",
        "papiex_options",
        "perf_event_paranoid",
        "perf_events",
        "papiex_output",
        "database",
        "test_job",
      ],
    );
    assertMatch(
      got.get("collector")!,
      /^OK {4}collector +\S+libepmt\.so, version \d+\.\d+\.\d+, loads$/,
    );
    assertMatch(
      got.get("perf_events")!,
      /countable here: .*PERF_COUNT_SW_CPU_CLOCK/,
    );
    assertMatch(got.get("database")!, /not created yet/);
    assertMatch(
      got.get("test_job")!,
      /: job \S+, [1-9]\d* process row\(s\) in [1-9]\d* collector file\(s\)$/,
    );
    // The test job's scratch output is gone; the sandbox's is untouched.
    assert(!(await exists(join(box.dir, "out", "chk" + Deno.pid))));

    r = await epmt(["-a", "run", "/bin/true"], { env });
    assertEquals(r.code, 0, r.stderr);
    r = await epmt(["submit"], { env });
    assertEquals(r.code, 0, r.stderr);
    r = await epmt(["check"], { env });
    assertEquals(r.code, 0, r.stdout);
    assertMatch(
      lines(r.stdout).get("database")!,
      new RegExp(
        `^OK {4}database +SQLite .*epmt\\.db, schema version ${SCHEMA_VERSION}, 1 job\\(s\\)$`,
      ),
    );
  });

  await t.step("PostgreSQL", async () => {
    const db = await createTestDb();
    try {
      const r = await epmt(["check"], { env: { ...env, ...db.env } });
      assertEquals(r.code, 0, r.stdout);
      assertMatch(
        lines(r.stdout).get("database")!,
        new RegExp(
          `^OK {4}database +PostgreSQL .*${db.name}.*, schema version ${SCHEMA_VERSION}, 0 job\\(s\\)$`,
        ),
      );
    } finally {
      await db.drop();
    }
  });

  await Deno.remove(box.dir, { recursive: true });
});

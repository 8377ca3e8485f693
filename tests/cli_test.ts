import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt, ROOT, sandbox } from "./helpers.ts";
import { join } from "node:path";

Deno.test("help prints usage, settings and the overriding variables", async () => {
  const box = await sandbox();
  const r = await epmt(["help"], {
    env: { ...box.env, EPMT_DB_PASSWORD: "s3cret", EPMT_DB_PORT: "6543" },
  });
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, "usage: epmt");
  assertMatch(r.stdout, /^ {2}db_params\.port +6543$/m);
  assertMatch(r.stdout, /^ {2}papiex_output +.*\/out\/$/m);
  assertStringIncludes(r.stdout, "EPMT_DB_PORT=6543");
  assertStringIncludes(r.stdout, "EPMT_DB_PASSWORD=****");
  assert(!r.stdout.includes("s3cret") && !r.stderr.includes("s3cret"));
  await Deno.remove(box.dir, { recursive: true });
});

Deno.test("-h is the same as help", async () => {
  const a = await epmt(["-h"]);
  const b = await epmt(["help"]);
  assertEquals(a.code, 0);
  assertEquals(a.stdout, b.stdout);
});

Deno.test("unknown global flags and no command print usage on stderr, exit 2", async (t) => {
  for (const args of [["--bogus", "help"], ["-x", "help"], []]) {
    await t.step(args.join(" ") || "(nothing)", async () => {
      const r = await epmt(args);
      assertEquals(r.code, 2);
      assertEquals(r.stdout, "");
      assertMatch(r.stderr, /^ERROR:epmt: .+\nusage: epmt/);
    });
  }
});

Deno.test("settings: file, then environment; bad values name file and key", async (t) => {
  const box = await sandbox();
  const file = join(box.dir, "settings.json");
  await t.step("file value is used", async () => {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ stage_dest: "/srv/stage/" }),
    );
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 0);
    assertStringIncludes(r.stdout, `settings (from ${file})`);
    assertMatch(r.stdout, /^ {2}stage_dest +\/srv\/stage\/$/m);
  });
  await t.step("environment beats file", async () => {
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_SETTINGS: file, EPMT_STAGE_DEST: "/x/" },
    });
    assertMatch(r.stdout, /^ {2}stage_dest +\/x\/$/m);
  });
  await t.step("malformed JSON", async () => {
    await Deno.writeTextFile(file, "{ nope");
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      new RegExp(`^ERROR:epmt: settings file ${file} is not valid JSON`),
    );
    assertEquals(r.stderr.trim().split("\n").length, 1);
  });
  await t.step("bad value", async () => {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ db_params: { provider: "mysql" } }),
    );
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 1);
    assertEquals(
      r.stderr.trim(),
      `ERROR:epmt: settings file ${file}: key db_params.provider: expected "sqlite" or "postgres", got "mysql"`,
    );
  });
  await t.step("bad environment value", async () => {
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_DEBUG: "maybe" },
    });
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "EPMT_DEBUG: key debug: expected true or false",
    );
  });
  await t.step("missing EPMT_SETTINGS file", async () => {
    const r = await epmt(["help"], {
      env: { ...box.env, EPMT_SETTINGS: join(box.dir, "none.json") },
    });
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "none.json (from EPMT_SETTINGS) does not exist",
    );
  });
  await t.step("shipped variants all parse", async () => {
    for (
      const name of [
        "sqlite_inmem",
        "sqlite_localfile",
        "pg_localhost",
        "pg_container",
      ]
    ) {
      const path = join(ROOT, `settings/settings_${name}.json`);
      const r = await epmt(["help"], {
        env: { ...box.env, EPMT_SETTINGS: path },
      });
      assertEquals(r.code, 0, r.stderr);
      assert(!r.stdout.includes("example"), "container password is masked");
    }
  });
  await Deno.remove(box.dir, { recursive: true });
});

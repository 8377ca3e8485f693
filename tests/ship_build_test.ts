import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runBuild, runCmd } from "./helpers.ts";
import { join } from "node:path";

Deno.test("build: a compiled file that is not epmt is refused and removed; --db-host narrows the network", async () => {
  // DENORT_BIN pointing at a full deno makes `deno compile` "succeed" with
  // a plain deno that ignores the program: the build must notice.
  const out = await Deno.makeTempDir({ prefix: "epmt-build-test-" });
  try {
    const r = await runBuild(
      ["--out", out, "--no-tar", "--db-host", "127.0.0.1:5432"],
      { env: { DENORT_BIN: Deno.execPath() } },
    );
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(
      r.stdout,
      /^build: deno compile: the result does not run epmt \(.*--version printed "deno \d+\.\d+\.\d+.*", not "epmt [^"]+" \(exit 0\)\); removed it, going on with the portable bundle$/m,
    );
    const left = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name);
    assertEquals(left.length, 1, `only the bundle is left: ${left}`);
    assertMatch(left[0], /^epmt-.*-linux-x86_64$/);
    assert(!r.stdout.includes("build: binary"));

    // The launcher may reach only the named server; check says so plainly.
    const folder = join(out, left[0]);
    const launcher = await Deno.readTextFile(join(folder, "epmt"));
    assert(launcher.includes(" --allow-net=127.0.0.1:5432 "), launcher);
    const home = join(out, "home");
    await Deno.mkdir(home);
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: home,
      EPMT_PAPIEX_OUTPUT: join(out, "papiex") + "/",
      EPMT_DB_PROVIDER: "postgres",
      EPMT_DB_HOST: "localhost",
      EPMT_DB_DBNAME: "epmt_not_reached",
    };
    const c = await runCmd(join(folder, "epmt"), ["check"], {
      clearEnv: true,
      env,
    });
    assertEquals(c.code, 1, c.stdout);
    assertMatch(
      c.stdout,
      /^FAIL {2}database +this epmt may not connect to localhost:5432: it was built to reach only its database servers \(deno task build --db-host\); fix: /m,
    );
    // Every command that opens the database says the same, not Deno's
    // "run again with the --allow-net flag".
    const l = await runCmd(join(folder, "epmt"), ["list"], {
      clearEnv: true,
      env,
    });
    assertEquals(
      [l.code, l.stderr],
      [
        1,
        "ERROR:epmt: this epmt may not connect to localhost:5432: it was built to reach only its database servers (deno task build --db-host); use the server it was built for, or rebuild with --db-host localhost:5432\n",
      ],
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

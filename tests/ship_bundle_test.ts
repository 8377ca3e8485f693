/**
 * The portable bundle, end to end: the real build (deno compile attempt,
 * bundle, archive), the archive unpacked into a scratch "site" folder, and a
 * whole job run from there with a PATH that has neither node_modules nor
 * this checkout, from a directory whose deno.json would break a careless
 * launcher.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { exists, runBuild, runCmd } from "./helpers.ts";
import { VERSION } from "../src/version.ts";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

const NAME = `epmt-${VERSION}-${Deno.build.os}-${Deno.build.arch}`;

Deno.test("bundle: build, unpack elsewhere, run a whole job from there", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "epmt-bundle-test-" });
  const dist = join(tmp, "dist");

  await t.step(
    "deno task build: compile attempt, bundle, archive",
    async () => {
      const r = await runBuild(["--out", dist]);
      assertEquals(r.code, 0, r.stdout + r.stderr);
      const compileLines = r.stdout.split("\n").filter((l) =>
        /compile|binary/.test(l)
      );
      assertEquals(compileLines.length, 1, r.stdout);
      if (compileLines[0].startsWith("build: binary")) {
        await Deno.stat(join(dist, "lib", "libepmt.so"));
      } else {
        // This machine cannot download denort: one clear line, no binary.
        assertMatch(
          compileLines[0],
          /^build: deno compile: cannot download the Deno runtime from \S+ \(.+\); no single binary built, going on with the portable bundle$/,
        );
        assert(!(await exists(join(dist, "epmt"))), "no stale binary");
      }
      assertStringIncludes(r.stdout, `build: bundle `);
      // No --db-host: the whole grant (scripts/build/permissions.ts).
      assertStringIncludes(r.stdout, "build: permissions --allow-all\n");
      // The shipped collector loads on glibc older than 2.34 (RHEL 8) even
      // when this machine's glibc is newer.
      const floor = /^build: bundle runs where glibc >= 2\.(\d+) \((.*)\)/m
        .exec(r.stdout);
      assert(floor, r.stdout);
      const lib = /lib\/libepmt\.so 2\.(\d+)/.exec(floor[2]);
      assert(lib && Number(lib[1]) < 34, floor[0]);
      assert(Number(floor[1]) < 34, floor[0]);
      assertStringIncludes(r.stdout, `build: archive `);
    },
  );

  // Unpack the archive, not the folder: what a site gets is the archive.
  const site = join(tmp, "site");
  const bin = join(tmp, "bin");
  const work = join(tmp, "work");
  for (const d of [site, bin, work, join(tmp, "home")]) await Deno.mkdir(d);
  const unpacked = await runCmd("tar", [
    "-C",
    site,
    "-xzf",
    join(dist, `${NAME}.tar.gz`),
  ]);
  assertEquals(unpacked.code, 0, unpacked.stderr);
  await Deno.remove(dist, { recursive: true });
  const folder = join(site, NAME);
  await Deno.symlink(join(folder, "epmt"), join(bin, "epmt"));
  // A user's Deno project in the working directory must not matter.
  await Deno.writeTextFile(
    join(work, "deno.json"),
    '{"imports": {"postgres": "./nope.js"}, "compilerOptions": {"strict": 1}}',
  );

  const jobid = `bundle${Deno.pid}`;
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: join(tmp, "home"),
    USER: "tester",
    EPMT_PAPIEX_OUTPUT: join(tmp, "out") + "/",
    EPMT_DB_FILENAME: join(tmp, "epmt.db"),
    SLURM_JOB_ID: jobid,
    SLURM_JOB_NAME: "CM4_piControl_C_atmos_00050101",
    SLURM_JOB_USER: "tester",
  };
  const epmt = (args: string[]) =>
    runCmd("epmt", args, { env, clearEnv: true, cwd: work });

  await t.step("the bundle holds what a site needs", async () => {
    for (
      const f of [
        "epmt",
        "epmt.cjs",
        "bin/deno",
        "lib/libepmt.so",
        "settings/settings_sqlite_localfile.json",
        "settings/settings_pg_localhost.json",
        "docs/install.md",
        "docs/slurm.md",
        "slurm/epmt-prolog",
        "slurm/epmt-task-prolog",
        "slurm/epmt-epilog",
        "slurm/epmt-slurm-lib.sh",
        "README.txt",
      ]
    ) {
      assert(await exists(join(folder, f)), `${f} in the bundle`);
    }
    assert(!(await exists(join(folder, "node_modules"))));
  });

  await t.step("--version names the bundle's own collector", async () => {
    const r = await epmt(["--version"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], `epmt ${VERSION}`);
    assertMatch(
      lines[1],
      new RegExp(`^collector \\S+ ${folder}/lib/libepmt\\.so$`),
    );
  });

  await t.step(
    "a home without room for Deno's cache: a private one in TMPDIR",
    async () => {
      const uid = Deno.uid();
      const tmpdir = join(tmp, "tmpdir");
      await Deno.mkdir(tmpdir);
      const ro = { ...env, HOME: "/proc/epmt-no-such-home", TMPDIR: tmpdir };
      let r = await runCmd("epmt", ["--version"], {
        env: ro,
        clearEnv: true,
        cwd: work,
      });
      assertEquals(r.code, 0, r.stderr);
      const cache = join(tmpdir, `epmt-deno-${uid}`);
      const st = await Deno.stat(cache);
      assertEquals((st.mode ?? 0) & 0o777, 0o700);
      assert((await Array.fromAsync(Deno.readDir(cache))).length > 0);
      if (uid === 0) {
        // Someone else's folder of that name is never used.
        await Deno.remove(cache, { recursive: true });
        await Deno.mkdir(cache, { mode: 0o777 });
        await Deno.chown(cache, 4242, 4242);
        r = await runCmd("epmt", ["--version"], {
          env: ro,
          clearEnv: true,
          cwd: work,
        });
        assertEquals(r.code, 0, r.stderr);
        assertEquals((await Array.fromAsync(Deno.readDir(cache))).length, 0);
      }
    },
  );

  await t.step("start, run (collected), stop", async () => {
    let r = await epmt(["start"]);
    assertEquals(r.code, 0, r.stderr);
    // The SLURM TaskProlog in the bundle finds the bundle's epmt.
    const hook = await runCmd(join(folder, "slurm", "epmt-task-prolog"), [], {
      env: { ...env, EPMT_SLURM_LOG: join(tmp, "slurm.log") },
      clearEnv: true,
      cwd: work,
    });
    assertEquals(hook.code, 0, hook.stderr);
    assertMatch(
      hook.stdout,
      new RegExp(`^export LD_PRELOAD=${folder}/lib/libepmt\\.so$`, "m"),
    );
    r = await epmt(["run", "/bin/sh", "-c", "echo collected; /bin/true"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "collected\n");
    r = await epmt(["stop"]);
    assertEquals(r.code, 0, r.stderr);
    const jobdir = join(tmp, "out", "tester", jobid);
    const files = (await Array.fromAsync(Deno.readDir(jobdir))).map((e) =>
      e.name
    );
    assert(files.includes("job_metadata"), files.join(" "));
    assert(files.some((f) => /papiex/.test(f)), `collector files: ${files}`);
  });

  const archive = join(work, `${jobid}.tgz`);
  await t.step("stage writes <jobid>.tgz", async () => {
    const r = await epmt(["stage"]);
    assertEquals(r.code, 0, r.stderr);
    assert(await exists(archive), `${archive} exists`);
  });

  await t.step("submit the archive into SQLite", async () => {
    const r = await epmt(["submit", archive]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assert(await exists(join(tmp, "epmt.db")));
  });

  await t.step("the job and its processes are in the database", () => {
    const db = new DatabaseSync(join(tmp, "epmt.db"), { readOnly: true });
    try {
      const job = db.prepare(
        "SELECT jobname FROM jobs WHERE jobid = ?",
      ).get(jobid) as { jobname: string } | undefined;
      assertEquals(job?.jobname, "CM4_piControl_C_atmos_00050101");
      const procs = db.prepare(
        "SELECT exename FROM processes WHERE jobid = ? ORDER BY exename",
      ).all(jobid) as { exename: string }[];
      assertEquals(procs.map((p) => p.exename), ["sh", "true"]);
    } finally {
      db.close();
    }
  });

  await t.step("show the job and its process tree", async () => {
    let r = await epmt(["show", jobid]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      new RegExp(`^Job: +${jobid} +\\(CM4_piControl_C_atmos_00050101\\)$`, "m"),
    );
    assertMatch(r.stdout, /^Processes: +2 /m);
    r = await epmt(["show", "--tree", jobid]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /sh\b.*\n.*true/s);
  });

  await t.step(
    "report: the chart library is inside the bundled program",
    async () => {
      const r = await epmt(["report", jobid]);
      assertEquals(r.code, 0, r.stderr);
      const html = await Deno.readTextFile(join(work, `${jobid}.html`));
      assertMatch(html, /Apache ECharts \d/);
      // The library itself, not a reference to it.
      assert(html.length > 500_000, `${html.length} bytes`);
      assert(!/<script[^>]+src=/.test(html), "nothing loaded from elsewhere");
    },
  );

  await t.step("dump the archive", async () => {
    const r = await epmt(["dump", archive]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, new RegExp(`^job_pl_id +${jobid}$`, "m"));
    assertMatch(r.stdout, /^exp_component +atmos$/m);
  });

  await t.step("check passes everywhere", async () => {
    const r = await epmt(["check"]);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assert(!/^FAIL/m.test(r.stdout), r.stdout);
  });

  await Deno.remove(tmp, { recursive: true });
});

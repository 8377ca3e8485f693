/**
 * `epmt daemon --ingest DIR` on real SQLite and PostgreSQL, run as a user
 * runs it: every job dropped is stored exactly once and moved to done/,
 * bad ones go to failed/ with the reason, a file still being written waits,
 * a second daemon on the folder is refused, SIGTERM finishes the current
 * job, and a database that goes away and comes back loses nothing.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { epmt, LAUNCHER, runCmd, sandbox } from "./helpers.ts";
import { connectTestServer, createTestDb, PG_HOST, PG_PORT } from "./pg.ts";
import { generatedJob, withBothDbs } from "./query_helpers.ts";
import { createArchive } from "../src/archive/mod.ts";
import { openStore } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";

/** `<drop>/<jobid>.tgz`, a staged job of `procs` processes. */
async function dropArchive(
  drop: string,
  scratch: string,
  jobid: string,
  procs = 3,
): Promise<string> {
  const dir = await generatedJob(scratch, jobid, {
    exe: "bash",
    cpu: 100,
    kids: Array.from({ length: procs - 1 }, (_, i) => ({
      exe: "cp",
      args: `x${i}`,
      cpu: 10,
    })),
  }, 1e6);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  const out = join(drop, `${jobid}.tgz`);
  await createArchive(out, dir, files);
  return out;
}

async function storedJobs(env: Record<string, string>): Promise<string[]> {
  const store = await openStore(loadSettings(env).settings);
  try {
    return (await store.query<{ jobid: string }>(
      "SELECT jobid FROM jobs ORDER BY jobid",
    )).map((r) => r.jobid);
  } finally {
    await store.close();
  }
}

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** A daemon running in the background, its output collected. */
function startDaemon(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(LAUNCHER, {
    args: ["daemon", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) out += dec.decode(chunk);
  })();
  const errText = new Response(child.stderr).text();
  return {
    child,
    output: () => out,
    async until(re: RegExp, ms = 30000): Promise<void> {
      const t0 = Date.now();
      while (!re.test(out)) {
        if (Date.now() - t0 > ms) {
          throw new Error(`no ${re} in daemon output:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(): Promise<{ code: number; out: string; err: string }> {
      try {
        child.kill("SIGTERM");
      } catch {
        // already ended
      }
      const { code } = await child.status;
      await reading;
      return { code, out, err: await errText };
    },
  };
}

Deno.test("daemon --once: loads each job once, failures to failed/ with the reason", async (t) => {
  await withBothDbs(t, async (env, dir, s) => {
    const drop = join(dir, "drop");
    const scratch = join(dir, "scratch");
    await Deno.mkdir(drop, { recursive: true });
    for (const id of ["101", "102", "103"]) {
      await dropArchive(drop, scratch, id);
    }
    await generatedJob(drop, "104", { exe: "sleep", cpu: 1 }, 1e6);
    await Deno.writeTextFile(join(drop, "bad.tgz"), "not an archive\n");
    await Deno.writeTextFile(join(drop, "README"), "left alone\n");
    const r = await epmt(
      ["daemon", "--ingest", drop, "--once", "--interval", "0.3"],
      { env },
    );
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assertEquals(lines.filter((l) => / loaded /.test(l)).length, 4, r.stdout);
    assertMatch(r.stdout, /loaded 101\.tgz: job 101, 3 processes in [\d.]+ s/);
    assertMatch(r.stdout, /loaded 104: job 104, 1 processes/);
    assertMatch(
      r.stdout,
      /failed bad\.tgz: .*not a gzip or tar archive.* \(moved to failed\/\)/,
    );
    assertMatch(r.stdout, /stopped: 4 loaded, 1 failed/);
    assertEquals(names(join(drop, "done")), [
      "101.tgz",
      "102.tgz",
      "103.tgz",
      "104",
    ]);
    assertEquals(names(join(drop, "failed")), ["bad.tgz", "bad.tgz.err"]);
    assertMatch(
      await Deno.readTextFile(join(drop, "failed", "bad.tgz.err")),
      /not a gzip or tar archive/,
    );
    assertEquals(names(drop), [
      ".epmt-daemon.lock",
      "README",
      "done",
      "failed",
    ]);
    assertEquals(await storedJobs(env), ["101", "102", "103", "104"]);

    await s.step(
      "a job stored before a crash moved it: done/, not twice",
      async () => {
        const again = await dropArchive(drop, scratch, "105");
        // As if a daemon stored it and died before moving it.
        assertEquals((await epmt(["submit", again], { env })).code, 0);
        await Deno.copyFile(
          join(drop, "done", "101.tgz"),
          join(drop, "copy-of-101.tgz"),
        );
        const r = await epmt([
          "daemon",
          "--ingest",
          drop,
          "--once",
          "--interval",
          "0.3",
        ], { env });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(
          r.stdout,
          /already loaded 105\.tgz: job 105 \(an earlier run stored it; moved to done\/\)/,
        );
        assertMatch(
          r.stdout,
          /failed copy-of-101\.tgz: job 101 is already in the database/,
        );
        assert(names(join(drop, "done")).includes("105.tgz"));
        assert(names(join(drop, "failed")).includes("copy-of-101.tgz.err"));
        assertEquals(await storedJobs(env), [
          "101",
          "102",
          "103",
          "104",
          "105",
        ]);
      },
    );

    await s.step("--analyze: each loaded job is analysed", async () => {
      await dropArchive(drop, scratch, "106");
      const r = await epmt([
        "daemon",
        "--ingest",
        drop,
        "--once",
        "--interval",
        "0.3",
        "--analyze",
      ], { env: { ...env, EPMT_ANALYZE_ON_SUBMIT: "0" } });
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /loaded 106\.tgz: job 106, .*; analyzed: /);
      const shown = await epmt(["show", "--json", "106"], { env });
      assertEquals(shown.code, 0, shown.stderr);
      assert(JSON.parse(shown.stdout).analysis?.analyzed_us, shown.stdout);
    });

    await s.step("--retire: the retention settings, once a day", async () => {
      // The generated jobs started 2026-11-25: older than a day.
      const policy = { ...env, EPMT_RETIRE_PROCS_NDAYS: "1" };
      const args = [
        "daemon",
        "--ingest",
        drop,
        "--once",
        "--interval",
        "0.1",
        "--retire",
      ];
      const r = await epmt(args, { env: policy });
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /retire: dropped the process rows of 6 jobs/);
      const again = await epmt(args, { env: policy });
      assert(!/retire:/.test(again.stdout), again.stdout);
      assertMatch(
        await Deno.readTextFile(join(drop, ".epmt-daemon.json")),
        /"last_retire_us":\d+/,
      );
    });
  });
});

Deno.test("daemon: a file still being written waits until it is complete", async () => {
  const box = await sandbox();
  try {
    const drop = join(box.dir, "drop");
    await Deno.mkdir(drop);
    const whole = await dropArchive(
      box.dir,
      join(box.dir, "scratch"),
      "201",
      400,
    );
    const bytes = await Deno.readFile(whole);
    const d = startDaemon(["--ingest", drop, "--interval", "0.2"], box.env);
    await d.until(/watching/);
    // Copied in slowly: a new piece every 150 ms for about 2 s.
    const target = await Deno.open(join(drop, "201.tgz"), {
      write: true,
      create: true,
    });
    const pieces = 14;
    for (let i = 0; i < pieces; i++) {
      const a = Math.floor((bytes.length * i) / pieces);
      const b = Math.floor((bytes.length * (i + 1)) / pieces);
      await target.write(bytes.subarray(a, b));
      await new Promise((r) => setTimeout(r, 150));
      assert(
        !/201\.tgz/.test(d.output()),
        `taken while copying:\n${d.output()}`,
      );
    }
    target.close();
    await d.until(/loaded 201\.tgz: job 201, 400 processes/);
    const r = await d.stop();
    assertEquals(r.code, 0, r.err);
    assertEquals(names(join(drop, "failed")), []);
    assertEquals(await storedJobs(box.env), ["201"]);
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("daemon: one per folder; two on one database store each job once", async () => {
  const box = await sandbox();
  const pg = await createTestDb();
  try {
    const env = { ...box.env, ...pg.env };
    const a = join(box.dir, "a");
    const b = join(box.dir, "b");
    const scratch = join(box.dir, "scratch");
    await Deno.mkdir(a);
    await Deno.mkdir(b);
    const ids = Array.from({ length: 8 }, (_, i) => `30${i}`);
    for (const id of ids) {
      const path = await dropArchive(a, scratch, id, 20);
      await Deno.copyFile(path, join(b, `${id}.tgz`));
    }
    const da = startDaemon(["--ingest", a, "--interval", "0.2"], env);
    await da.until(/watching/);
    const second = await epmt(["daemon", "--ingest", a, "--once"], { env });
    assertEquals(second.code, 1);
    assertMatch(
      second.stderr,
      /another epmt daemon is watching .*\/a \(pid \d+ on .*\): one daemon per drop folder/,
    );
    const db = startDaemon(["--ingest", b, "--interval", "0.2"], env);
    await da.until(/(loaded|failed) 307/);
    await db.until(/(loaded|failed) 307/);
    const ra = await da.stop();
    const rb = await db.stop();
    assertEquals([ra.code, rb.code], [0, 0], ra.err + rb.err);
    assertEquals(await storedJobs(env), ids);
    // Each job: loaded by one daemon, refused by the other.
    for (const id of ids) {
      const done = [a, b].filter((d) =>
        names(join(d, "done")).includes(`${id}.tgz`)
      );
      const failed = [a, b].filter((d) =>
        names(join(d, "failed")).includes(`${id}.tgz`)
      );
      assertEquals([done.length, failed.length], [1, 1], `job ${id}`);
    }
    assertMatch(ra.out + rb.out, /is already in the database/);
  } finally {
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("daemon: SIGTERM finishes the current job, then stops", async () => {
  const box = await sandbox();
  try {
    const drop = join(box.dir, "drop");
    await Deno.mkdir(drop);
    const ids = Array.from(
      { length: 12 },
      (_, i) => `4${String(i).padStart(2, "0")}`,
    );
    for (const id of ids) await dropArchive(drop, join(box.dir, "s"), id, 300);
    const d = startDaemon(["--ingest", drop, "--interval", "0.2"], box.env);
    await d.until(/loaded 400\.tgz/);
    const r = await d.stop();
    assertEquals(r.code, 0, r.err);
    assertMatch(r.out, /SIGTERM: stopping after the current job/);
    assertMatch(r.out, /stopped \(SIGTERM\): \d+ loaded, 0 failed/);
    const stored = await storedJobs(box.env);
    const done = names(join(drop, "done")).map((n) => n.replace(".tgz", ""));
    assertEquals(done, stored, "what is done is what is stored");
    assert(stored.length < ids.length, "it stopped before the end");
    const left = names(drop).filter((n) => n.endsWith(".tgz"));
    assertEquals(left.length + done.length, ids.length, "nothing lost");
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("daemon: a database that goes away and comes back loses nothing", async () => {
  const box = await sandbox();
  const pg = await createTestDb();
  const proxy = new Proxy(PG_HOST, PG_PORT);
  try {
    const port = proxy.start();
    const env = { ...box.env, ...pg.env, EPMT_DB_PORT: String(port) };
    const drop = join(box.dir, "drop");
    await Deno.mkdir(drop);
    const scratch = join(box.dir, "s");
    await dropArchive(drop, scratch, "501");
    const d = startDaemon(["--ingest", drop, "--interval", "0.2"], env);
    await d.until(/loaded 501\.tgz/);
    proxy.stop(); // the database is gone
    for (const id of ["502", "503"]) await dropArchive(drop, scratch, id);
    await d.until(/database unavailable: .*; retrying in 2 s/);
    assertEquals(names(join(drop, "failed")), []);
    proxy.start(port); // and back
    await d.until(/loaded 503\.tgz/, 60000);
    const r = await d.stop();
    assertEquals(r.code, 0, r.err);
    assert(!/password/i.test(r.out + r.err));
    assertEquals(await storedJobs({ ...box.env, ...pg.env }), [
      "501",
      "502",
      "503",
    ]);
    assertEquals(names(join(drop, "done")), ["501.tgz", "502.tgz", "503.tgz"]);
  } finally {
    proxy.stop();
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("daemon: a job whose rows the server refuses goes to failed/, not into a retry loop", async () => {
  const box = await sandbox();
  const pg = await createTestDb();
  const admin = connectTestServer(pg.name);
  try {
    const env = { ...box.env, ...pg.env };
    (await openStore(loadSettings(env).settings)).close();
    // The server refuses any process of cp: a constraint of this site's.
    await admin.unsafe(
      "ALTER TABLE processes ADD CONSTRAINT no_cp CHECK (exename <> 'cp')",
    );
    const drop = join(box.dir, "drop");
    await Deno.mkdir(drop);
    const scratch = join(box.dir, "s");
    await dropArchive(drop, scratch, "601", 1); // bash alone
    await dropArchive(drop, scratch, "602", 3); // bash and two cp
    // In the background, so that a retry loop fails the wait, not hangs.
    const d = startDaemon(["--ingest", drop, "--interval", "0.2"], env);
    await d.until(/failed 602|database unavailable/);
    const r = await d.stop();
    assertEquals(r.code, 0, r.err);
    assertMatch(r.out, /loaded 601\.tgz/);
    assertMatch(
      r.out,
      /failed 602\.tgz: .*storing job 602 failed: .* \(moved to failed\/\)/,
    );
    assert(!/database unavailable|cannot connect/.test(r.out), r.out);
    assertMatch(r.out, /stopped \(SIGTERM\): 1 loaded, 1 failed/);
    assertEquals(names(join(drop, "failed")), ["602.tgz", "602.tgz.err"]);
    assertEquals(await storedJobs(env), ["601"]);
  } finally {
    await admin.end();
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
});

Deno.test("daemon: a drop folder it cannot write to is one clear line", async () => {
  const box = await sandbox();
  try {
    const drop = join(box.dir, "drop");
    await Deno.mkdir(drop, { mode: 0o755 });
    await Deno.chmod(box.dir, 0o755);
    const missing = await epmt([
      "daemon",
      "--ingest",
      join(box.dir, "nope"),
      "--once",
    ], { env: box.env });
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assertMatch(
      missing.stderr,
      /drop folder .*nope: no such file or directory/,
    );
    if (Deno.uid() !== 0) {
      await Deno.chmod(drop, 0o555);
    }
    // Root may write anywhere: run it as nobody, to whom drop is read-only.
    const r = Deno.uid() === 0
      ? await runCmd("runuser", [
        "-u",
        "nobody",
        "--",
        LAUNCHER,
        "daemon",
        "--ingest",
        drop,
        "--once",
      ], {
        env: { ...box.env, HOME: "/tmp", PATH: Deno.env.get("PATH") ?? "" },
      })
      : await epmt(["daemon", "--ingest", drop, "--once"], { env: box.env });
    assertEquals(r.code, 1, r.stdout + r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertMatch(
      r.stderr,
      /drop folder .*drop is not writable \(permission denied\): the daemon needs to move jobs into done\/ and failed\/ there/,
    );
    const usage = await epmt(["daemon", "--once"], { env: box.env });
    assertEquals(usage.code, 2);
    assertMatch(usage.stderr, /give the drop folder with --ingest DIR/);
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

/**
 * A TCP relay to the PostgreSQL server that the test can take away (every
 * connection cut, nothing listening) and bring back on the same port.
 */
class Proxy {
  #listener?: Deno.TcpListener;
  #conns = new Set<Deno.Conn>();
  constructor(readonly host: string, readonly port: number) {}

  start(port = 0): number {
    const l = Deno.listen({ hostname: "127.0.0.1", port });
    this.#listener = l;
    (async () => {
      try {
        for await (const c of l) this.#relay(c);
      } catch {
        // closed
      }
    })();
    return (l.addr as Deno.NetAddr).port;
  }

  async #relay(client: Deno.Conn): Promise<void> {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: this.host, port: this.port });
    } catch {
      client.close();
      return;
    }
    this.#conns.add(client);
    this.#conns.add(server);
    const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
      try {
        await from.readable.pipeTo(to.writable);
      } catch {
        // cut
      }
      for (const c of [from, to]) {
        try {
          c.close();
        } catch {
          // already closed
        }
        this.#conns.delete(c);
      }
    };
    pipe(client, server);
    pipe(server, client);
  }

  stop(): void {
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    this.#listener = undefined;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    this.#conns.clear();
  }
}

/**
 * `epmt serve` over HTTP, the real server on real databases (SQLite and
 * PostgreSQL): pages answer, bad and hostile requests get 400/404 pages
 * without stacks, concurrent requests all answer, the database is the
 * same afterwards, and a signal stops it cleanly. The browser side is in
 * report_browser_test.ts.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";
import { ok, withBothDbs } from "./query_helpers.ts";
import { writeWorkflowJob } from "./report_jobs.ts";
import { startServe } from "./serve_helpers.ts";
import { join } from "node:path";

async function sha256(file: string): Promise<string> {
  const data = await Deno.readFile(file);
  const h = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** GET `path` (sent as is, not normalised by URL): status and body. */
async function get(
  base: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: string; type: string }> {
  const r = await fetch(base + path, { redirect: "manual", ...init });
  return {
    status: r.status,
    body: await r.text(),
    type: r.headers.get("content-type") ?? "",
  };
}

/** Something that must never reach a client. */
function assertNoLeak(body: string, what: string): void {
  assert(!/\bat \S+ \(|\.ts:\d+|Error:|stack/i.test(body), `${what}: ${body}`);
}

Deno.test("serve: pages, hostile requests, concurrency, read-only, clean stop", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    await Deno.mkdir(dir, { recursive: true });
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(
        await writeWorkflowJob(dir, `sv-${i}`, {
          procs: 60,
          startUs: Date.UTC(2026, 10, 20 + i, 10) * 1000,
          user: i === 3 ? "bob" : "alice",
          cpuScale: 1 + i / 10,
        }),
      );
    }
    // An id that needs escaping everywhere it appears.
    jobs.push(
      await writeWorkflowJob(dir, "sv<b>&'x", {
        procs: 20,
        startUs: Date.UTC(2026, 10, 19, 10) * 1000,
      }),
    );
    await ok(["submit", ...jobs], env);
    const sqlite = env.EPMT_DB_PROVIDER !== "postgres";
    const before = sqlite
      ? await sha256(env.EPMT_DB_FILENAME)
      : await pgContents(env.EPMT_DB_DBNAME);
    const server = await startServe(env);
    const base = server.base;
    assertMatch(base, /^http:\/\/127\.0\.0\.1:\d+$/);

    await step.step("pages answer with the jobs", async () => {
      const list = await get(base, "/");
      assertEquals(list.status, 200);
      assertStringIncludes(list.type, "text/html");
      for (let i = 0; i < 4; i++) {
        assertStringIncludes(list.body, `/job/sv-${i}"`);
      }
      // The odd id is escaped in the markup and in its link.
      assertStringIncludes(list.body, "sv&#60;b&#62;&#38;&#39;x");
      assertStringIncludes(
        list.body,
        `/job/${encodeURIComponent("sv<b>&'x")}"`,
      );
      assert(!list.body.includes("sv<b>"), "never raw");

      const bob = await get(base, "/?user=bob");
      assertStringIncludes(bob.body, "sv-3");
      assert(!bob.body.includes('/job/sv-0"'), "filtered by user");
      const after = await get(base, "/?after=2026-11-22");
      assertStringIncludes(after.body, '/job/sv-2"');
      assert(!after.body.includes('/job/sv-1"'), "filtered by date");
      const paged = await get(base, "/?limit=2&offset=1");
      assertStringIncludes(paged.body, "jobs 2–3 of 5");

      const job = await get(base, "/job/sv-1");
      assertEquals(job.status, 200);
      assertStringIncludes(job.body, 'id="gantt-0"');
      assertStringIncludes(job.body, '<script src="/assets/echarts.min.js">');
      const odd = await get(base, `/job/${encodeURIComponent("sv<b>&'x")}`);
      assertEquals(odd.status, 200);
      const lib = await get(base, "/assets/echarts.min.js");
      assertEquals(lib.status, 200);
      assertStringIncludes(lib.type, "javascript");
      assert(lib.body.length > 500_000);

      const cmp = await get(base, "/compare?a=sv-0&b=sv-3");
      assertEquals(cmp.status, 200);
      assertStringIncludes(cmp.body, 'id="gantt-1"');
      assertEquals((await get(base, "/compare")).status, 200);

      const exps = await get(base, "/exp");
      assertStringIncludes(exps.body, "CM4_piControl");
      const exp = await get(
        base,
        "/exp?name=CM4_piControl&component=atmos&metric=cpu_time",
      );
      assertEquals(exp.status, 200);
      // All five jobs are points of the chart, oldest first.
      const data = JSON.parse(
        /id="epmt-data">(.*?)<\/script>/s.exec(exp.body)![1],
      );
      assertEquals(data.points.map((p: { jobid: string }) => p.jobid), [
        "sv<b>&'x",
        "sv-0",
        "sv-1",
        "sv-2",
        "sv-3",
      ]);
      // cpu planted 1.0, 1.1, 1.2, 1.3 times sv-0's.
      const v = data.points.slice(1).map((p: { value: number }) => p.value);
      for (let i = 1; i < 4; i++) {
        assert(Math.abs(v[i] / v[0] - (1 + i / 10)) < 0.01, `${v}`);
      }
    });

    await step.step("unknown pages and jobs: 404 pages", async () => {
      for (
        const path of [
          "/nope",
          "/job/nope",
          "/job/",
          "/job/sv-1/extra",
          "/jobs/../etc/passwd",
          "/%2e%2e/%2e%2e/etc/passwd",
          "/job/..%2f..%2fetc%2fpasswd",
          "/job/sv-1%2f..",
          "/assets/../../deno.json",
          "/exp?name=nope",
          "/compare?a=sv-1&b=nope",
          "/src/report/client.js",
        ]
      ) {
        const r = await get(base, path);
        assertEquals(r.status, 404, path);
        assertStringIncludes(r.type, "text/html", path);
        assertStringIncludes(r.body, "404 Not found", path);
        assertNoLeak(r.body, path);
        assert(!r.body.includes("root:x:0"), path);
      }
    });

    await step.step("hostile or bad parameters: 400 pages", async () => {
      const huge = "x".repeat(300);
      const cases: [string, RegExp][] = [
        ["/?user=%00", /control character/],
        ["/job/sv-1%00", /control character/],
        ["/job/%E0%A4%A", /percent-encoding/],
        ["/?limit=abc", /limit must be a whole number/],
        ["/?limit=-1", /limit must be a whole number/],
        ["/?limit=99999999999999999999", /limit must be a whole number/],
        ["/?offset=1e9", /offset must be a whole number/],
        ["/?user=a&user=b", /given twice/],
        ["/?sort=jobid;DROP TABLE jobs", /unknown parameter/],
        [`/?user=${huge}`, /longer than 256/],
        ["/?after=yesterday%27%3B--", /cannot read/],
        ["/?tag=:x", /--tag wants KEY:VALUE|tag/],
        ["/exp?name=CM4_piControl&metric=jobid", /metric must be one of/],
        [
          "/exp?name=CM4_piControl&metric=cpu_time)%20OR%201=1--",
          /metric must be one of/,
        ],
        ["/exp?metric=cpu_time", /name the experiment/],
        ["/compare?a=sv-1", /name two jobs/],
        ["/job/sv-1?debug=1", /unknown parameter/],
      ];
      for (const [path, re] of cases) {
        const r = await get(base, path);
        assertEquals(r.status, 400, `${path}: ${r.body.slice(0, 300)}`);
        assertMatch(r.body, re, path);
        assertNoLeak(r.body, path);
      }
      // SQL in a value is a value: no job has that user.
      const sql = await get(
        base,
        "/?user=" + encodeURIComponent("' OR '1'='1"),
      );
      assertEquals(sql.status, 200);
      assertStringIncludes(sql.body, "No jobs");
      const tag = await get(
        base,
        "/?tag=" + encodeURIComponent(`op:x') OR 1=1 --`),
      );
      assertEquals(tag.status, 200);
      assertStringIncludes(tag.body, "No jobs");
      // A request line longer than any page needs.
      const long = await get(base, "/?user=" + "y".repeat(10_000));
      assert(
        long.status === 414 || long.status === 400 || long.status === 431,
        String(long.status),
      );
      // Only GET and HEAD.
      const post = await get(base, "/", { method: "POST", body: "x=1" });
      assertEquals(post.status, 405);
      const del = await get(base, "/job/sv-1", { method: "DELETE" });
      assertEquals(del.status, 405);
      const head = await fetch(base + "/job/sv-1", { method: "HEAD" });
      assertEquals(head.status, 200);
      await head.body?.cancel();
    });

    await step.step("50 concurrent requests all answer", async () => {
      const paths = Array.from({ length: 50 }, (_, i) =>
        [
          "/",
          `/job/sv-${i % 4}`,
          "/compare?a=sv-0&b=sv-1",
          "/exp?name=CM4_piControl&component=atmos",
          "/job/missing",
        ][i % 5]);
      const got = await Promise.all(paths.map((p) => get(base, p)));
      got.forEach((r, i) =>
        assertEquals(
          r.status,
          paths[i] === "/job/missing" ? 404 : 200,
          paths[i],
        )
      );
    });

    await step.step(
      "SIGINT stops it cleanly; the database is unchanged",
      async () => {
        const r = await server.stop("SIGINT");
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "epmt serve: stopped");
        assertEquals(r.stderr, "", "nothing logged: no request failed");
        if (sqlite) {
          assertEquals(await sha256(env.EPMT_DB_FILENAME), before);
          const names = [...Deno.readDirSync(join(env.EPMT_DB_FILENAME, ".."))]
            .map((e) => e.name).filter((n) => n.startsWith("epmt.db"));
          assertEquals(names, ["epmt.db"], "no journal left behind");
        }
      },
    );
  });
});

Deno.test("serve: the store it opens refuses writes", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await Deno.mkdir(dir, { recursive: true });
    await ok(
      ["submit", await writeWorkflowJob(dir, "ro-1", { procs: 5 })],
      env,
    );
    const { openStore } = await import("../src/db/mod.ts");
    const { loadSettings } = await import("../src/settings/mod.ts");
    const store = await openStore(loadSettings(env).settings, {
      create: false,
      readOnly: true,
    });
    try {
      let refused = "";
      try {
        await store.execute("DELETE FROM jobs");
      } catch (e) {
        refused = String(e);
      }
      assertMatch(refused, /read-?only/i);
      const [{ n }] = await store.query<{ n: number }>(
        "SELECT count(*) AS n FROM jobs",
      );
      assertEquals(Number(n), 1);
    } finally {
      await store.close();
    }
  });
});

/** Every job row and the processes' count and cpu: what a write would change. */
async function pgContents(dbname: string): Promise<string> {
  const { connectTestServer } = await import("./pg.ts");
  const c = connectTestServer(dbname);
  try {
    const jobs = await c.unsafe("SELECT * FROM jobs ORDER BY jobid");
    const procs = await c.unsafe(
      "SELECT count(*)::text AS n, sum(cpu_time)::text AS cpu FROM processes",
    );
    return JSON.stringify([jobs, procs]);
  } finally {
    await c.end();
  }
}

Deno.test("serve: other hosts warn, SIGTERM stops, bad options and databases are one line", async () => {
  const box = await sandbox();
  try {
    const job = await writeWorkflowJob(box.dir, "h-1", { procs: 10 });
    await ok(["submit", job], box.env);
    const any = await startServe(box.env, ["--host", "0.0.0.0"]);
    assertMatch(any.base, /^http:\/\/0\.0\.0\.0:\d+$/);
    const port = /:(\d+)$/.exec(any.base)![1];
    const r = await get(`http://127.0.0.1:${port}`, "/job/h-1");
    assertEquals(r.status, 200);
    const done = await any.stop("SIGTERM");
    assertEquals(done.code, 0);
    assertMatch(
      done.stderr,
      /^WARNING:epmt: serving on 0\.0\.0\.0: anyone who can reach it sees every job \(no authentication, no TLS\)/,
    );

    const local = await startServe(box.env);
    const quiet = await local.stop();
    assertEquals(quiet.stderr, "", "no warning on loopback");

    const cases: [string[], Record<string, string>, number, RegExp][] = [
      [["serve", "--port", "70000"], {}, 2, /--port 70000 is not a port/],
      [["serve", "--port", "x"], {}, 2, /port/],
      [["serve", "extra"], {}, 2, /serve takes no arguments/],
      [
        ["serve", "--port", "0"],
        { EPMT_DB_FILENAME: join(box.dir, "none.db") },
        1,
        /no SQLite database at .*none\.db/,
      ],
    ];
    for (const [args, extra, code, re] of cases) {
      const c = await epmt(args, { env: { ...box.env, ...extra } });
      assertEquals(c.code, code, `${args.join(" ")}: ${c.stderr}`);
      assertMatch(c.stderr, re);
    }
    assert(
      !(await Deno.stat(join(box.dir, "none.db")).catch(() => null)),
      "serve never creates a database",
    );
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

/**
 * `epmt report` through the real CLI on generated workflow jobs submitted
 * with the real `epmt submit`, on SQLite and PostgreSQL: the file is
 * self-contained and small, and what it shows agrees with the processes
 * (per-op sums computed here from the database, the planted failure).
 * The browser side is in report_browser_test.ts.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt } from "./helpers.ts";
import { ok, withBothDbs } from "./query_helpers.ts";
import { OPS, writeWorkflowJob } from "./report_jobs.ts";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

type Rec = Record<string, unknown>;

/** External references a self-contained page must not have. */
const EXTERNAL = [
  /<script[^>]+src=/i,
  /<link[^>]+href=/i,
  /<img[^>]+src="?(?!data:)/i,
  /url\(\s*["']?(?!data:)[a-z]+:/i,
  /(src|href)\s*=\s*["']?(https?:|\/\/)/i,
  /@import/i,
];

/** The data embedded in a report page. */
function embedded(html: string): { kind: string; reports: Rec[] } {
  const m = /<script type="application\/json" id="epmt-data">(.*?)<\/script>/s
    .exec(html);
  assert(m, "the page embeds its data");
  return JSON.parse(m[1]);
}

Deno.test("report: self-contained file that agrees with the database", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    await Deno.mkdir(dir, { recursive: true });
    const a = await writeWorkflowJob(dir, "wf-a", { procs: 400, failing: 9 });
    const b = await writeWorkflowJob(dir, "wf-b", {
      procs: 400,
      cpuScale: 2,
    });
    await ok(["submit", a, b], env);

    await step.step(
      "default file <jobid>.html in the working directory",
      async () => {
        const r = await epmt(["report", "wf-a"], { env, cwd: dir });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /^wrote wf-a\.html \(\d+\.\d\d MB\)\n$/);
        const html = await Deno.readTextFile(join(dir, "wf-a.html"));
        // The markup, scripts' bodies left out (the library's code holds
        // HTML templates of its own): nothing in it refers outside.
        const markup = html.replace(
          /(<script[^>]*>)[\s\S]*?<\/script>/g,
          "$1</script>",
        );
        for (const re of EXTERNAL) {
          assert(!re.test(markup), `no ${re} in the page`);
        }
        assertStringIncludes(html, "Content-Security-Policy");
        assertStringIncludes(html, "default-src 'none'");
        assertStringIncludes(html, "Apache ECharts");
        // The header: fields a reader looks for.
        for (
          const s of [
            "wf-a",
            "CM4_piControl_atmos_00010101",
            "alice",
            "node01",
            "2026-11-25 10:00:00 UTC",
            "2026-11-25 10:05:00 UTC",
            "5m00s",
            "CM4_piControl",
            "exit 3",
          ]
        ) {
          assertStringIncludes(html, s);
        }
        assert(html.length < 3_000_000, `${html.length} bytes`);
      },
    );

    await step.step(
      "--json: per-op sums as the database has them",
      async () => {
        const r = await ok(["report", "wf-a", "--json"], env);
        const data = JSON.parse(r.stdout);
        const sums = await perOpFromDb(env, "wf-a");
        const byOp = Object.fromEntries(
          (data.byOp as Rec[]).map((g) => [g.name, [g.procs, g.cpu_us]]),
        );
        assertEquals(byOp, sums);
        assertEquals(Object.keys(byOp).sort(), [...OPS, "(no op)"].sort());
        // Op wall: each op runs 1.3 slots of (300 s - 10 ms) / 5 = 78 s.
        for (const g of data.byOp as Rec[]) {
          if (g.name === "(no op)" || g.name === "postproc") continue;
          assert(
            Math.abs((g.wall_us as number) - 77_997_400) < 1000,
            `${g.name} wall ${g.wall_us}`,
          );
        }
        const gantt = data.gantt;
        assertEquals(gantt.by, "op");
        assertEquals(gantt.shown, 400);
        assertEquals(gantt.total, 400);
        assertEquals(gantt.note, "");
        // The planted failure (the 10th process written) is drawn with its
        // exit code; every other one exited 0.
        const failed = gantt.exit.map((e: unknown, i: number) => [e, i]).filter(
          (
            [e]: [unknown],
          ) => e !== 0,
        );
        assertEquals(failed.length, 1);
        assertEquals(failed[0][0], 3);
        assertEquals(data.job.exitcode, 3);
        // The tree's top is the job script, holding all the cpu.
        assertEquals(data.tree.length, 1);
        assertEquals(data.tree[0].name, "bash");
        assertEquals(data.tree[0].procs, 400);
        assert(
          Math.abs(data.tree[0].value * 1e6 - data.job.cpu_time_us) < 2,
          "inclusive cpu of the root is the job's cpu",
        );
      },
    );

    await step.step(
      "--compare: both jobs, metrics against each other",
      async () => {
        const r = await epmt(["report", "--compare", "wf-a", "wf-b"], {
          env,
          cwd: dir,
        });
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "wrote wf-a_vs_wf-b.html");
        const html = await Deno.readTextFile(join(dir, "wf-a_vs_wf-b.html"));
        const data = embedded(html);
        assertEquals(data.reports.map((x) => (x.job as Rec).jobid), [
          "wf-a",
          "wf-b",
        ]);
        // wf-b's cpu was planted at twice wf-a's.
        assertMatch(
          html,
          /<td>cpu_time<\/td><td>[^<]+<\/td><td>[^<]+<\/td><td>2\.00<\/td>/,
        );
        for (const id of ["gantt-0", "gantt-1", "tree-0", "tree-1"]) {
          assertStringIncludes(html, `id="${id}"`);
        }
      },
    );

    await step.step(
      "-n: says what it would write, writes nothing",
      async () => {
        const r = await epmt(["report", "-n", "wf-b"], { env, cwd: dir });
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /^would write wf-b\.html \(\d+\.\d\d MB\)\n$/);
        assert(
          !(await Deno.stat(join(dir, "wf-b.html")).catch(() => null)),
          "no file",
        );
      },
    );

    await step.step("-o FILE and -o - (standard output)", async () => {
      const file = join(dir, "sub", "r.html");
      await Deno.mkdir(join(dir, "sub"));
      await ok(["report", "wf-b", "-o", file], env);
      assertEquals(embedded(await Deno.readTextFile(file)).reports.length, 1);
      const r = await ok(["report", "wf-b", "-o", "-"], env);
      assert(r.stdout.startsWith("<!DOCTYPE html>"));
    });

    await step.step("mistakes: one line, non-zero, no file", async () => {
      const cases: [string[], number, RegExp][] = [
        [["report", "nope"], 1, /^ERROR:epmt: job nope is not in the database/],
        [["report"], 2, /report: name a JOBID/],
        [["report", "--compare", "wf-a"], 2, /name two JOBIDs/],
        [["report", "wf-a", "wf-b"], 2, /one JOBID/],
        [
          ["report", "wf-a", "-o", join(dir, "no", "such", "dir", "x.html")],
          1,
          /cannot write .*x\.html/,
        ],
      ];
      for (const [args, code, re] of cases) {
        const r = await epmt(args, { env, cwd: dir });
        assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
        assertMatch(r.stderr, re);
        assert(!r.stderr.includes("    at "), "no stack");
      }
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        n.endsWith(".html") || n.endsWith(".tmp")
      ).sort();
      assertEquals(left, ["wf-a.html", "wf-a_vs_wf-b.html"]);
    });
  });
});

Deno.test("report: a 30,000-process job is drawn in part, says so, stays small", async () => {
  const { sandbox } = await import("./helpers.ts");
  const box = await sandbox();
  try {
    const job = await writeWorkflowJob(box.dir, "wf-big", { procs: 30_000 });
    await ok(["submit", job], box.env);
    const out = join(box.dir, "big.html");
    await ok(["report", "wf-big", "-o", out], box.env);
    const html = await Deno.readTextFile(out);
    assert(html.length < 3_000_000, `${html.length} bytes`);
    const g = embedded(html).reports[0].gantt as Rec;
    assertEquals(g.total, 30_000);
    assert((g.shown as number) <= 4000 && (g.shown as number) >= 3900);
    assertMatch(
      String(g.note),
      /^Showing [34],\d{3} of 30,000 processes: the longest of each group/,
    );
    assertStringIncludes(html, `<p class="note">${g.note}</p>`);
    // Every op keeps its share of the drawn bars.
    const perLane = new Map<number, number>();
    for (const l of g.lane as number[]) {
      perLane.set(l, (perLane.get(l) ?? 0) + 1);
    }
    assertEquals(perLane.size, OPS.length + 1);
    for (const [lane, n] of perLane) {
      if ((g.lanes as string[])[lane] !== "(no op)") assert(n > 700, `${n}`);
    }
  } finally {
    await Deno.remove(box.dir, { recursive: true });
  }
});

/** Per op: [processes, cpu µs], read straight from the processes table. */
async function perOpFromDb(
  env: Record<string, string>,
  jobid: string,
): Promise<Record<string, [number, number]>> {
  const sql =
    `SELECT idx, tags, cpu_time FROM processes WHERE jobid = '${jobid}'`;
  let rows: { tags: string | null; cpu_time: number }[];
  if (env.EPMT_DB_PROVIDER === "postgres") {
    const { connectTestServer } = await import("./pg.ts");
    const c = connectTestServer(env.EPMT_DB_DBNAME);
    try {
      rows = (await c.unsafe(sql)).map((r) => ({
        tags: r.tags === null ? null : JSON.stringify(r.tags),
        cpu_time: Number(r.cpu_time),
      }));
    } finally {
      await c.end();
    }
  } else {
    const db = new DatabaseSync(env.EPMT_DB_FILENAME);
    rows = db.prepare(sql).all() as typeof rows;
    db.close();
  }
  const out: Record<string, [number, number]> = {};
  for (const r of rows) {
    const op = r.tags ? JSON.parse(r.tags).op ?? "(no op)" : "(no op)";
    out[op] ??= [0, 0];
    out[op][0]++;
    out[op][1] += r.cpu_time;
  }
  return out;
}

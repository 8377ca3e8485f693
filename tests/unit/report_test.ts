/**
 * The report's and the web UI's pieces in-process: interval unions, group
 * sums, the merged process tree, the timeline's bound, the query-string
 * checks, and the request handler over a real SQLite database (submitted
 * in-process) with no server around it.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../assert.ts";
import {
  groupSums,
  loadReport,
  MAX_GANTT,
  processTree,
  unionLength,
} from "../../src/report/data.ts";
import { bandOf, esc, reportExtras, reportPage } from "../../src/report/mod.ts";
import {
  BadRequest,
  intParam,
  pathSegment,
  queryParams,
} from "../../src/serve/params.ts";
import { makeHandler } from "../../src/serve/mod.ts";
import { openStore } from "../../src/db/mod.ts";
import { loadSettings } from "../../src/settings/mod.ts";
import { writeWorkflowJob } from "../report_jobs.ts";
import { box } from "./cli.ts";

Deno.test("unionLength() counts overlapping time once", async (t) => {
  const cases: [string, [number, number][], number][] = [
    ["none", [], 0],
    ["one", [[0, 10]], 10],
    ["disjoint", [[0, 10], [20, 25]], 15],
    ["overlapping", [[0, 10], [5, 15]], 15],
    ["nested", [[0, 100], [10, 20], [30, 40]], 100],
    ["touching", [[0, 10], [10, 20]], 20],
    ["unsorted", [[50, 60], [0, 10], [5, 55]], 60],
    ["empty intervals", [[5, 5], [7, 7]], 0],
  ];
  for (const [name, iv, want] of cases) {
    await t.step(name, () => {
      const idx = iv.map((_, i) => i);
      assertEquals(
        unionLength(idx, iv.map((x) => x[0]), iv.map((x) => x[1])),
        want,
      );
    });
  }
});

Deno.test("groupSums(): cpu summed, wall the union, busiest first, (other) past 25", () => {
  const n = 30;
  const start = Float64Array.from({ length: n }, (_, i) => i * 10);
  const end = Float64Array.from({ length: n }, (_, i) => i * 10 + 15);
  const cpu = Float64Array.from({ length: n }, (_, i) => i);
  const keys = Array.from({ length: n }, (_, i) => `g${i}`);
  keys[1] = "g0"; // g0 holds processes 0 and 1: [0,15) and [10,25)
  const sums = groupSums({ n, start, end, cpu }, keys);
  assertEquals(sums.length, 26);
  assertEquals(sums[0].name, "g29");
  const g0 = sums.find((s) => s.name === "g0");
  assertEquals(g0, undefined, "g0 is among the least busy: in (other)");
  const other = sums.at(-1)!;
  assertEquals(other.name, "(other)");
  // The 4 least busy groups: g0 (procs 0 and 1), g2, g3, g4.
  assertEquals(other.procs, 5);
  assertEquals(other.cpu_us, 0 + 1 + 2 + 3 + 4);
  assertEquals(other.wall_us, 55); // [0, 55): one run of overlaps
});

Deno.test("processTree(): siblings merged by executable, inclusive cpu", () => {
  // bash(0) -> cp(1), cp(2), model(3) -> cp(4)
  const exe = ["bash", "cp", "cp", "model", "cp"];
  const parent = Int32Array.from([-1, 0, 0, 0, 3]);
  const incl = Float64Array.from([10e6, 1e6, 2e6, 6e6, 1e6]);
  const { nodes, note } = processTree({ n: 5, parent, exe, incl });
  assertEquals(nodes.length, 1);
  const root = nodes[0];
  assertEquals([root.name, root.value, root.procs], ["bash", 10, 5]);
  assertEquals(
    root.children!.map((c) => [c.name, c.value, c.procs]),
    [["model", 6, 2], ["cp ×2", 3, 2]],
  );
  assertEquals(root.children![0].children!.map((c) => c.name), ["cp"]);
  assertStringIncludes(note, "merged");
});

Deno.test("queryParams() and friends refuse what a page does not take", async (t) => {
  const url = (q: string) => new URL(`http://x/?${q}`);
  const bad: [string, string, RegExp][] = [
    ["unknown name", "nope=1", /unknown parameter "nope"/],
    ["repeated", "a=1&a=2", /given twice/],
    ["NUL", "a=%00", /control character/],
    ["newline", "a=x%0Ay", /control character/],
    ["too long", `a=${"x".repeat(257)}`, /longer than 256/],
  ];
  for (const [name, q, re] of bad) {
    await t.step(name, () => {
      let err: unknown;
      try {
        queryParams(url(q), ["a"]);
      } catch (e) {
        err = e;
      }
      assert(err instanceof BadRequest, String(err));
      assertEquals(err.status, 400);
      assertMatch(err.message, re);
    });
  }
  await t.step("empty values are absent", () => {
    assertEquals(queryParams(url("a="), ["a"]), {});
  });
  await t.step("intParam bounds", () => {
    assertEquals(intParam("n", undefined, 5, 1, 10), 5);
    assertEquals(intParam("n", "10", 5, 1, 10), 10);
    for (const v of ["0", "11", "1.5", "-1", "1e3", " 3", "99999999999"]) {
      let ok = false;
      try {
        intParam("n", v, 5, 1, 10);
      } catch (e) {
        ok = e instanceof BadRequest;
      }
      assert(ok, v);
    }
  });
  await t.step("pathSegment decodes once and checks", () => {
    assertEquals(pathSegment("id", "a%2Fb"), "a/b");
    for (const raw of ["%", "%E0%A4%A", "a%00"]) {
      let ok = false;
      try {
        pathSegment("id", raw);
      } catch (e) {
        ok = e instanceof BadRequest;
      }
      assert(ok, raw);
    }
  });
});

Deno.test("esc() leaves no markup", () => {
  assertEquals(
    esc(`<a href="x">'&'</a>`),
    "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;",
  );
});

const b = await box();
const jobs = `${b.dir}/jobs`;
await b.epmt(["submit", await writeWorkflowJob(jobs, "u-1", { procs: 50 })]);
await b.epmt([
  "submit",
  await writeWorkflowJob(jobs, "u-big", { procs: MAX_GANTT + 500 }),
]);

Deno.test("loadReport(): the bound, and null for an unknown job", async () => {
  const store = await openStore(loadSettings(b.env).settings, {
    create: false,
    readOnly: true,
  });
  try {
    assertEquals(await loadReport(store, "nope"), null);
    const small = (await loadReport(store, "u-1"))!;
    assertEquals([small.gantt.shown, small.gantt.total], [50, 50]);
    const big = (await loadReport(store, "u-big"))!;
    assert(big.gantt.shown <= MAX_GANTT, String(big.gantt.shown));
    assertEquals(big.gantt.total, MAX_GANTT + 500);
    assertEquals(big.byOp.reduce((s, g) => s + g.procs, 0), MAX_GANTT + 500);
    assert(reportPage(big).length < 3_000_000);
  } finally {
    await store.close();
  }
});

Deno.test("the handler: statuses of pages and mistakes", async (t) => {
  const store = await openStore(loadSettings(b.env).settings, {
    create: false,
    readOnly: true,
  });
  const handle = makeHandler(store);
  try {
    const cases: [string, number, string?][] = [
      ["/", 200],
      ["/?user=alice&limit=1", 200],
      ["/job/u-1", 200],
      ["/compare?a=u-1&b=u-big", 200],
      ["/exp", 200],
      ["/exp?name=CM4_piControl&component=atmos", 200],
      ["/assets/echarts.min.js", 200],
      ["/job/u-2", 404],
      ["/etc/passwd", 404],
      ["/?limit=0", 400],
      ["/?after=never", 400],
      ["/job/u-1?x=1", 400],
      ["/job/u-1", 405, "POST"],
    ];
    for (const [path, status, method] of cases) {
      await t.step(`${method ?? "GET"} ${path}`, async () => {
        const r = await handle(
          new Request(`http://127.0.0.1${path}`, { method: method ?? "GET" }),
        );
        assertEquals(r.status, status);
        const text = await r.text();
        assertEquals(r.headers.get("x-content-type-options"), "nosniff");
        if (status !== 200) assert(!/\.ts:\d+/.test(text), text);
      });
    }
  } finally {
    await store.close();
  }
});

// Four alike jobs make a reference model; a fifth uses twice their cpu.
const exp = { expName: "OM4_band", expComponent: "ocean" };
for (const [i, scale] of [1, 1.02, 0.98, 1.01].entries()) {
  await b.epmt([
    "submit",
    await writeWorkflowJob(jobs, `m-${i}`, {
      procs: 30,
      cpuScale: scale,
      startUs: Date.UTC(2026, 10, 1 + i) * 1000,
      ...exp,
    }),
  ]);
}
await b.epmt([
  "submit",
  await writeWorkflowJob(jobs, "m-slow", {
    procs: 30,
    cpuScale: 2,
    startUs: Date.UTC(2026, 10, 9) * 1000,
    ...exp,
  }),
]);
const made = await b.epmt([
  "refmodel",
  "create",
  "om4",
  "m-0",
  "m-1",
  "m-2",
  "m-3",
]);
assertEquals(made.code, 0, made.stderr);

Deno.test("bandOf(): median ± 3.5 MAD / 0.6745, with a floor of 5 % of the median", () => {
  const b1 = bandOf({ median: 100, mad: 10 });
  assert(Math.abs(b1.high - (100 + 3.5 * 10 / 0.6745)) < 1e-9);
  assert(Math.abs(b1.low - (100 - 3.5 * 10 / 0.6745)) < 1e-9);
  const b2 = bandOf({ median: 100, mad: 0 });
  assert(Math.abs(b2.high - (100 + 3.5 * 5 / 0.6745)) < 1e-9);
});

Deno.test("report extras: the model's band per metric, the slow job flagged", async () => {
  const store = await openStore(loadSettings(b.env).settings, {
    create: false,
    readOnly: true,
  });
  try {
    const cpuRow = async (jobid: string) => {
      const r = (await loadReport(store, jobid, reportExtras))!;
      return { r, m: r.metrics.find((m) => m.name === "cpu_time")! };
    };
    const normal = await cpuRow("m-1");
    assertEquals(normal.r.job.model, "om4");
    // The analysis stored at submit, and the critical path: the job script
    // and the op steps that ran one after another are on it.
    assertMatch(normal.r.job.verdict ?? "", /^[a-z-]+: /);
    const g = normal.r.gantt;
    const onPath = g.crit.map((c, i) => c ? g.strings[g.exe[i]] : "")
      .filter((x) => x);
    assert(onPath.includes("bash"), onPath.join(" "));
    assert(onPath.length < g.shown, "not every process is on it");
    assert(normal.m.model, "cpu_time has a band");
    assert(
      normal.m.value! >= normal.m.model.low &&
        normal.m.value! <= normal.m.model.high,
      JSON.stringify(normal.m),
    );
    assertEquals(
      normal.r.job.flags.filter((f) => /^cpu_time /.test(f)),
      [],
    );
    const slow = await cpuRow("m-slow");
    assert(slow.m.value! > slow.m.model!.high, JSON.stringify(slow.m));
    const flag = slow.r.job.flags.find((f) => /^cpu_time /.test(f));
    assertMatch(
      flag ?? "",
      /^cpu_time (1\.9\d|2\.0\d)× median \(.*modified-zscore/,
    );
    const html = reportPage(slow.r);
    assertStringIncludes(html, "<th>model band</th>");
    assertStringIncludes(html, '<tr class="out"><td>cpu_time</td>');
    assertStringIncludes(html, "reference model</dt><dd>om4");
    // A job no model covers has neither.
    const none = (await loadReport(store, "u-1", reportExtras))!;
    assertEquals([none.job.model, none.job.flags], [null, []]);
    assert(none.metrics.every((m) => !m.model));
  } finally {
    await store.close();
  }
});

Deno.test("the experiment view carries the model's band", async () => {
  const store = await openStore(loadSettings(b.env).settings, {
    create: false,
    readOnly: true,
  });
  try {
    const r = await makeHandler(store)(
      new Request(
        "http://127.0.0.1/exp?name=OM4_band&component=ocean&metric=cpu_time",
      ),
    );
    assertEquals(r.status, 200);
    const html = await r.text();
    const data = JSON.parse(/id="epmt-data">(.*?)<\/script>/s.exec(html)![1]);
    assertEquals(data.points.length, 5);
    assertEquals(data.band.model, "om4");
    // In seconds, as the points: the slow job above the band, the rest in.
    const slow = data.points.at(-1);
    assertEquals(slow.jobid, "m-slow");
    assert(slow.value > data.band.high);
    for (const p of data.points.slice(0, 4)) {
      assert(p.value >= data.band.low && p.value <= data.band.high);
    }
    assertStringIncludes(html, "reference model om4");
  } finally {
    await store.close();
  }
});

Deno.test("the job list: flagged jobs first, marked", async () => {
  // Analysed again now that a model covers it: m-slow is flagged.
  const again = await b.epmt(["analyze", "m-slow", "m-1"]);
  assertEquals(again.code, 0, again.stderr);
  const store = await openStore(loadSettings(b.env).settings, {
    create: false,
    readOnly: true,
  });
  try {
    const r = await makeHandler(store)(new Request("http://127.0.0.1/"));
    const html = await r.text();
    const ids = [...html.matchAll(/<td><a href="\/job\/([^"]+)">/g)].map((m) =>
      decodeURIComponent(m[1])
    );
    assertEquals(ids[0], "m-slow", ids.join(" "));
    assert(ids.includes("m-1") && ids.indexOf("m-1") > 0);
    assertStringIncludes(html, "flagged first");
    assertStringIncludes(
      html,
      '<tr class="flagged"><td><a href="/job/m-slow">',
    );
  } finally {
    await store.close();
  }
});

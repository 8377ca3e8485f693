/**
 * The report and the web UI in a real browser: headless Chromium (Debian
 * package `chromium`, driven by npm playwright-core), launched once for
 * this file. Pages must render their charts (canvases with drawn pixels),
 * log no console error, and the report file must make no network request
 * at all. Screenshots are saved in a temporary folder, printed at the end.
 * Without Chromium the tests are skipped and say how to get it.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { sandbox } from "./helpers.ts";
import { ok } from "./query_helpers.ts";
import { writeWorkflowJob } from "./report_jobs.ts";
import { startServe } from "./serve_helpers.ts";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";

const CHROMIUM = Deno.env.get("EPMT_TEST_CHROMIUM") ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const missing = await Deno.stat(CHROMIUM).then(
  () => "",
  () =>
    `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set ` +
    `EPMT_TEST_CHROMIUM)`,
);
if (missing) console.log(`report_browser_test: skipped: ${missing}`);

/** What a page did while it was open. */
interface Watch {
  errors: string[];
  requests: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { errors: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      w.errors.push(`${m.type()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => w.requests.push(r.url()));
  return w;
}

/** Opens `url`, waits until every chart has rendered; returns how many. */
async function open(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.waitForSelector("body[data-rendered]", { timeout: 60_000 });
  return Number(await page.evaluate<string>("document.body.dataset.rendered"));
}

/**
 * For each chart element: its id and how many pixels of its canvas are
 * drawn (not transparent, not white).
 */
async function drawnPixels(page: Page): Promise<Record<string, number>> {
  return await page.evaluate<Record<string, number>>(DRAWN_PIXELS);
}

// Code run in the page, as text: these tests are type-checked without the
// DOM library.
const DRAWN_PIXELS = `(() => {
  const out = {};
  for (const el of document.querySelectorAll(".chart")) {
    const c = el.querySelector("canvas");
    if (!c) {
      out[el.id] = 0;
      continue;
    }
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245)) n++;
    }
    out[el.id] = n;
  }
  return out;
})()`;

/** Where on the page the atmos model run's bar is (its middle). */
const MODEL_BAR = `(() => {
  const el = document.getElementById("gantt-0");
  const chart = echarts.getInstanceByDom(el);
  const g = JSON.parse(document.getElementById("epmt-data").textContent)
    .reports[0].gantt;
  const k = g.exe.indexOf(g.strings.indexOf("atmos_model"));
  const mid = (g.start[k] + g.end[k]) / 2e6;
  const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [mid, g.lane[k]]);
  const box = el.getBoundingClientRect();
  const band = chart.getModel().getComponent("yAxis").axis.getBandWidth() * 0.84;
  const row = band / g.rows[g.lane[k]];
  return { x: box.left + x, y: box.top + y - band / 2 + g.row[k] * row + row / 2 };
})()`;

/** The text of the tooltip showing the atmos model's command line. */
const MODEL_TIP = `(() => [...document.querySelectorAll("div")]
  .filter((d) => d.textContent.includes("--config atmos.nml --steps 96") &&
    d.children.length < 12)
  .map((d) => d.textContent).at(-1) ?? "")()`;

Deno.test({
  name: `report and serve in headless Chromium${
    missing ? ` (skipped: ${missing})` : ""
  }`,
  ignore: missing !== "",
  // playwright keeps its own timers and sockets between steps.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const { chromium } = await import("playwright-core");
    const box = await sandbox();
    const shots = await Deno.makeTempDir({ prefix: "epmt-browser-shots-" });
    let browser: Browser | undefined;
    let served: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      const big = await writeWorkflowJob(box.dir, "br-big", {
        procs: 6000,
        failing: 40,
      });
      const small = await writeWorkflowJob(box.dir, "br-small", {
        procs: 80,
        startUs: Date.UTC(2026, 10, 26, 10) * 1000,
        cpuScale: 1.5,
      });
      await ok(["submit", big, small], box.env);
      const report = join(box.dir, "br-big.html");
      const compare = join(box.dir, "cmp.html");
      await ok(["report", "br-big", "-o", report], box.env);
      await ok(
        ["report", "--compare", "br-big", "br-small", "-o", compare],
        box.env,
      );
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ARGS,
      });
      const b = browser;

      await t.step(
        "the report file: charts drawn, no error, no network",
        async () => {
          const page = await b.newPage({
            viewport: { width: 1400, height: 900 },
          });
          const w = watch(page);
          assertEquals(await open(page, `file://${report}`), 4);
          const px = await drawnPixels(page);
          for (const id of ["gantt-0", "byop-0", "byexe-0", "tree-0"]) {
            assert(px[id] > 2000, `${id} has ${px[id]} drawn pixels`);
          }
          assertMatch(
            await page.textContent("main") ?? "",
            /Showing [34],\d{3} of 6,000 processes/,
          );
          // Hover the atmos model run's bar: its command line and cpu show.
          const at = await page.evaluate<{ x: number; y: number }>(
            MODEL_BAR,
          );
          await page.mouse.move(at.x, at.y);
          await page.waitForFunction(MODEL_TIP, undefined, { timeout: 10_000 });
          const tip = await page.evaluate<string>(MODEL_TIP);
          assertStringIncludes(tip ?? "", "atmos_model");
          assertStringIncludes(tip ?? "", "cpu ");
          assertStringIncludes(tip ?? "", "rss ");
          assertStringIncludes(tip ?? "", "exit 0");
          await page.screenshot({
            path: join(shots, "report.png"),
            fullPage: true,
          });
          assertEquals(w.errors, []);
          assertEquals(
            w.requests.filter((u) => !u.startsWith("file://")),
            [],
            "no network request",
          );
          assertEquals(w.requests, [`file://${report}`]);
          await page.close();
        },
      );

      await t.step("the compare file: both jobs drawn", async () => {
        const page = await b.newPage({
          viewport: { width: 1600, height: 900 },
        });
        const w = watch(page);
        assertEquals(await open(page, `file://${compare}`), 8);
        const px = await drawnPixels(page);
        for (const id of ["gantt-0", "gantt-1", "tree-0", "tree-1"]) {
          assert(px[id] > 2000, `${id} has ${px[id]} drawn pixels`);
        }
        await page.screenshot({
          path: join(shots, "compare.png"),
          fullPage: true,
        });
        assertEquals(w.errors, []);
        assertEquals(w.requests, [`file://${compare}`]);
        await page.close();
      });

      served = await startServe(box.env);
      const base = served.base;
      await t.step("served pages: list, job, compare, experiment", async () => {
        const pages: [string, string, number][] = [
          ["/", "jobs.png", 0],
          ["/job/br-small", "job.png", 4],
          ["/compare?a=br-small&b=br-big", "served-compare.png", 8],
          [
            "/exp?name=CM4_piControl&component=atmos&metric=cpu_time",
            "experiment.png",
            1,
          ],
        ];
        for (const [path, shot, charts] of pages) {
          const page = await b.newPage({
            viewport: { width: 1400, height: 900 },
          });
          const w = watch(page);
          assertEquals(await open(page, base + path), charts, path);
          const px = await drawnPixels(page);
          for (const [id, n] of Object.entries(px)) {
            assert(n > 500, `${path} ${id}: ${n} drawn pixels`);
          }
          await page.screenshot({ path: join(shots, shot), fullPage: true });
          assertEquals(w.errors, [], path);
          assertEquals(
            w.requests.filter((u) => !u.startsWith(base)),
            [],
            `${path}: only its own server`,
          );
          await page.close();
        }
      });

      await t.step(
        "served: from the list to a job and back, by the links",
        async () => {
          const page = await b.newPage();
          const w = watch(page);
          await page.goto(base + "/?user=alice");
          await page.click('a[href="/job/br-big"]');
          await page.waitForSelector("body[data-rendered]");
          assertStringIncludes(await page.title(), "br-big");
          await page.click('nav a[href="/"]');
          await page.waitForSelector("table.jobs");
          await page.goto(base + "/job/nope");
          assertStringIncludes(await page.textContent("h1") ?? "", "404");
          // A 404 is logged by the browser as a failed resource load; that is
          // the only error allowed.
          assert(
            w.errors.every((e) => /404/.test(e)),
            w.errors.join("\n"),
          );
          await page.close();
        },
      );
    } finally {
      await browser?.close();
      await served?.stop();
      await Deno.remove(box.dir, { recursive: true });
      console.log(`report_browser_test: screenshots in ${shots}`);
    }
  },
});

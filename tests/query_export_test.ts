/**
 * export (round trip against the collector files), compare, annotate and
 * delete through the real CLI on SQLite and PostgreSQL.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt } from "./helpers.ts";
import {
  fixtureJob,
  jsonOf,
  ok,
  PAPIEX,
  parseCsv,
  readPapiexDir,
  withBothDbs,
} from "./query_helpers.ts";
import { join } from "node:path";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "../src/db/columns.ts";

type Rec = Record<string, unknown>;

async function submitAll(
  dir: string,
  env: Record<string, string>,
): Promise<void> {
  await ok([
    "submit",
    await fixtureJob(dir, "e-tree", "tree"),
    await fixtureJob(dir, "e-threads", "threads"),
    await fixtureJob(dir, "e-tagged", "tagged", {
      job_pl_start: "2026-11-25T10:01:00+00:00",
    }),
    await fixtureJob(dir, "e-single", "single"),
  ], env);
}

/** The values a process record must share with its file, as text. */
function checkProcess(p: Record<string, unknown>, fixture: string): void {
  const files = readPapiexDir(join(PAPIEX, fixture));
  const f = files.get(Number(p.pid));
  assert(f, `pid ${p.pid} is in the files of ${fixture}`);
  const own = f.fields;
  const threads = f.threads;
  const sum = (k: string) => threads.reduce((a, t) => a + Number(t[k]), 0);
  assertEquals(String(p.args), own.args, "args exact");
  assertEquals(String(p.exename), own.exename.split("/").pop(), "bare name");
  assertEquals(Number(p.ppid), Number(own.ppid));
  assertEquals(Number(p.exitcode), Number(own.exitcode));
  assertEquals(Number(p.numtids), Number(own.numtids));
  assertEquals(Number(p.start_us), Number(own.start));
  assertEquals(Number(p.end_us), Number(own.end));
  assertEquals(Number(p.usertime), sum("usertime"));
  assertEquals(Number(p.systemtime), sum("systemtime"));
  assertEquals(
    Number(p.rssmax),
    Math.max(...threads.map((t) => Number(t.rssmax))),
  );
  assertEquals(Number(p.cpu_time), sum("usertime") + sum("systemtime"));
}

async function exportRoundTrip(
  env: Record<string, string>,
  dir: string,
): Promise<void> {
  // JSON: one array, every process column, JSON columns as data.
  const json = JSON.parse(
    (await ok([
      "export",
      "e-tree",
      "e-threads",
      "--what",
      "procs",
      "--format",
      "json",
    ], env))
      .stdout,
  ) as Rec[];
  assertEquals(json.length, 10);
  assertEquals(Object.keys(json[0]), PROCESS_COLUMNS.map((c) => c.name));
  for (const p of json) {
    checkProcess(p, p.jobid === "e-tree" ? "tree" : "threads");
  }
  const py = json.find((p) => p.jobid === "e-threads")!;
  assertStringIncludes(String(py.args), "threading,time\ndef w():");
  assertEquals((py.threads as unknown[]).length, 5);

  // CSV to a file: the same values, args with commas and newlines intact.
  const file = join(dir, "procs.csv");
  await ok(
    ["export", "e-threads", "e-tree", "--what", "procs", "-o", file],
    env,
  );
  const rows = parseCsv(await Deno.readTextFile(file));
  assertEquals(rows.length, 10);
  assertEquals(Object.keys(rows[0]), PROCESS_COLUMNS.map((c) => c.name));
  for (const p of rows) {
    checkProcess(p, p.jobid === "e-tree" ? "tree" : "threads");
  }
  assertEquals(rows.filter((r) => r.jobid === "e-threads").length, 1);
  // No temporary file left beside it.
  for await (const e of Deno.readDir(dir)) {
    assert(!e.name.includes(".tmp"), e.name);
  }

  // Threads: one record per thread row of the files.
  const threads = parseCsv(
    (await ok(
      ["export", "e-threads", "--what", "threads", "--format", "csv"],
      env,
    )).stdout,
  );
  const file5 = readPapiexDir(join(PAPIEX, "threads")).get(11967)!;
  assertEquals(
    threads.map((t) => Number(t.tid)),
    file5.threads.map((t) => Number(t.tid)),
  );
  assertEquals(
    threads.map((t) => Number(t.usertime)),
    file5.threads.map((t) => Number(t.usertime)),
  );
  assertEquals(threads.map((t) => t.pid), Array(5).fill("11967"));

  // Jobs: every column.
  const jobs = JSON.parse(
    (await ok(["export", "e-tagged"], env)).stdout,
  ) as Rec[];
  assertEquals(Object.keys(jobs[0]), JOB_COLUMNS.map((c) => c.name));
  assertEquals(jobs[0].proc_tags, [{ op: "ocean", op_instance: "2" }]);
  assertEquals(jobs[0].num_procs, 3);

  const bad = await epmt(["export", "e-tree", "nope"], { env });
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "job nope is not in the database");
  const unwritable = await epmt([
    "export",
    "e-tree",
    "-o",
    join(dir, "no", "such", "x.json"),
  ], {
    env,
  });
  assertEquals(unwritable.code, 1);
  assertMatch(
    unwritable.stderr,
    /^ERROR:epmt: cannot write .*x\.json: no such file or directory\n$/,
  );
}

async function compareTwo(env: Record<string, string>): Promise<void> {
  const c = await jsonOf<{
    a: string;
    b: string;
    sums: { metric: string; a: number; b: number; ratio: number | null }[];
    groups: Rec[];
  }>(["compare", "e-tree", "e-tagged"], env);
  assertEquals([c.a, c.b], ["e-tree", "e-tagged"]);
  const sum = (m: string) => c.sums.find((s) => s.metric === m)!;
  assertEquals(sum("num_procs"), {
    metric: "num_procs",
    a: 9,
    b: 3,
    ratio: 3 / 9,
  });
  assertEquals(sum("duration_us").a, 300_000_000);
  // dd wrote 20 MiB and its cpu (14.3 ms) is the biggest change: first.
  assertEquals(c.groups[0].exename, "dd");
  assertEquals(c.groups[0].procs_a, 0);
  assertEquals(c.groups[0].procs_b, 1);
  const bash = c.groups.find((g) => g.exename === "bash")!;
  assertEquals([bash.procs_a, bash.procs_b], [2, 0]); // tagged: bash exec'd rm
  const cpus = c.groups.map((g) =>
    Math.abs(Number(g.cpu_time_us_b) - Number(g.cpu_time_us_a))
  );
  assertEquals(cpus, [...cpus].sort((x, y) => y - x), "biggest change first");

  const byOp = await jsonOf<{ groups: Rec[] }>([
    "compare",
    "e-tree",
    "e-tagged",
    "--by",
    "op",
  ], env);
  assertEquals(byOp.groups.map((g) => [g.op, g.procs_a, g.procs_b]), [
    ["ocean", 0, 3],
    [null, 9, 0],
  ]);
  const text = (await ok(["compare", "e-tree", "e-tagged"], env)).stdout;
  assertMatch(text, /^num_procs +9 +3 +0\.333$/m);
  assertMatch(text, /^write_bytes +8\.00 KiB +20\.0 MiB +2562$/m);
  assertMatch(text, /^dd +0 +1 +0 µs +14\.3 ms +inf$/m);
  assertEquals((await epmt(["compare", "e-tree"], { env })).code, 2);
}

async function annotateAndShow(env: Record<string, string>): Promise<void> {
  await ok(["annotate", "e-tree", "verdict=slow, rerun", "ticket=42"], env);
  await ok(["annotate", "e-tree", "ticket=43", "note=a=b"], env);
  await ok(["annotate", "e-tree", "--remove", "note"], env);
  assertEquals(await jsonOf(["annotate", "e-tree"], env), {
    verdict: "slow, rerun",
    ticket: "43",
  });
  const shown = await jsonOf<Rec>(["show", "e-tree"], env);
  assertEquals(shown.annotations, { verdict: "slow, rerun", ticket: "43" });
  const [job] = JSON.parse(
    (await ok(["export", "e-tree"], env)).stdout,
  ) as Rec[];
  assertEquals(job.annotations, { verdict: "slow, rerun", ticket: "43" });
  assertMatch(
    (await ok(["show", "e-tree"], env)).stdout,
    /^Annotations: +ticket=43 {2}verdict=slow, rerun$/m,
  );
  const bad = await epmt(["annotate", "e-tree", "novalue"], { env });
  assertEquals(bad.code, 2);
  assertEquals((await epmt(["annotate", "nope", "a=b"], { env })).code, 1);
}

async function deleteThenList(
  env: Record<string, string>,
  dir: string,
): Promise<void> {
  const ids = async () =>
    (await jsonOf<Rec[]>(["list"], env)).map((j) => j.jobid).sort();
  const before = await ids();
  assertEquals(before, ["e-single", "e-tagged", "e-threads", "e-tree"]);

  const dry = await ok(["delete", "-n", "e-tree", "e-single"], env);
  assertEquals(
    dry.stdout,
    "would delete job e-tree (9 processes)\nwould delete job e-single (1 process)\nwould delete 2 jobs\n",
  );
  assertEquals(await ids(), before);

  const refused = await epmt(["delete", "e-tree", "nope"], { env });
  assertEquals(refused.code, 1);
  assertStringIncludes(refused.stderr, "job nope is not in the database");
  assertStringIncludes(refused.stderr, "nothing deleted");
  assertEquals(await ids(), before, "nothing deleted");

  const done = await ok(["delete", "e-tree", "e-single"], env);
  assertStringIncludes(done.stdout, "deleted job e-tree (9 processes)");
  assertEquals(await ids(), ["e-tagged", "e-threads"]);
  const gone = await epmt(["list", "procs", "e-tree"], { env });
  assertEquals(gone.code, 1);
  // Its processes went with it: the job can be submitted again.
  await ok(["submit", join(dir, "e-tree")], env);
  assertEquals(await ids(), ["e-tagged", "e-threads", "e-tree"]);
  assertEquals(
    (await jsonOf<Rec[]>(["list", "procs", "e-tree", "--limit", "0"], env))
      .length,
    9,
  );
}

Deno.test("export, compare, annotate, delete on submitted fixtures", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    await submitAll(dir, env);
    await step.step("export round trip", () => exportRoundTrip(env, dir));
    await step.step("compare two jobs", () => compareTwo(env));
    await step.step(
      "annotate, shown by show and export",
      () => annotateAndShow(env),
    );
    await step.step("delete then list", () => deleteThenList(env, dir));
  });
});

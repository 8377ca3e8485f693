/**
 * list, list procs, show and show --tree through the real CLI, on jobs made
 * from the shared fixtures and submitted with the real `epmt submit`, on
 * SQLite and PostgreSQL.
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
  generatedJob,
  jsonOf,
  ok,
  PAPIEX,
  parseCsv,
  readPapiexDir,
  withBothDbs,
} from "./query_helpers.ts";
import { join } from "node:path";

type Rec = Record<string, unknown>;
const ids = (rows: Rec[]) => rows.map((r) => r.jobid);

async function submitAll(
  dir: string,
  env: Record<string, string>,
): Promise<void> {
  const at = (day: number) => ({
    job_pl_start: `2026-11-${day}T10:00:00.000000+00:00`,
    job_el_stop: `2026-11-${day}T10:05:00.000000+00:00`,
  });
  const dirs = [
    await fixtureJob(dir, "q-tree", "tree", at(25)),
    await fixtureJob(dir, "q-tagged", "tagged", {
      ...at(26),
      job_pl_username: "bob",
      job_tags: { run: "a" },
    }),
    await fixtureJob(dir, "q-threads", "threads", {
      ...at(27),
      exp_name: "OM4",
      job_tags: { run: "b" },
    }),
    await fixtureJob(dir, "q-failing", "failing", {
      ...at(24),
      job_el_status: 3,
    }),
    await fixtureJob(dir, "q-signal", "signal", {
      ...at(23),
      job_pl_username: "bob",
    }),
  ];
  // 30 identical `true` and 3 identical pipelines under one script.
  const pipe = () => ({
    exe: "sh",
    args: "-c a|b",
    cpu: 20,
    kids: [{ exe: "a", cpu: 5 }, { exe: "b", cpu: 7 }],
  });
  dirs.push(
    await generatedJob(
      dir,
      "q-loop",
      {
        exe: "bash",
        args: "loop.sh",
        cpu: 100,
        kids: [
          ...Array.from({ length: 30 }, () => ({ exe: "true", cpu: 10 })),
          pipe(),
          pipe(),
          pipe(),
          { exe: "sleep", args: "1", cpu: 1 },
          ...Array.from({ length: 12 }, (_, i) => ({
            exe: "cp",
            args: `f${i} out/`,
            cpu: 2,
          })),
        ],
      },
      60_000_000,
      { job_pl_start: "2026-11-22T10:00:00.000000+00:00" },
    ),
  );
  await ok(["submit", ...dirs], env);
}

async function listFiltersOrderPagingFormats(
  baseEnv: Record<string, string>,
): Promise<void> {
  const env = { ...baseEnv, TZ: "UTC" };
  const list = async (...args: string[]) =>
    ids(await jsonOf<Rec[]>(["list", ...args], env));

  assertEquals(await list(), [
    "q-threads",
    "q-tagged",
    "q-tree",
    "q-failing",
    "q-signal",
    "q-loop",
  ]);
  assertEquals(await list("--user", "bob"), ["q-tagged", "q-signal"]);
  assertEquals(
    await list("--tag", "op:ocean"),
    ["q-tagged"],
    "a process tag",
  );
  assertEquals(await list("--tag", "run:b"), ["q-threads"], "a job tag");
  assertEquals(
    await list("--tag", "run"),
    ["q-threads", "q-tagged"],
    "a tag key alone",
  );
  assertEquals(await list("--tag", "op:land"), []);
  assertEquals(await list("--tag", "run:a", "--tag", "op:ocean"), [
    "q-tagged",
  ]);
  assertEquals(await list("--after", "2026-11-25"), [
    "q-threads",
    "q-tagged",
    "q-tree",
  ]);
  assertEquals(await list("--before", "2026-11-24"), ["q-signal", "q-loop"]);
  assertEquals(
    await list(
      "--after",
      "2026-11-24T12:00Z",
      "--before",
      "2026-11-26 09:00",
    ),
    ["q-tree"],
  );
  assertEquals(await list("--exp", "OM4"), ["q-threads"]);
  assertEquals(await list("--limit", "2", "--offset", "1"), [
    "q-tagged",
    "q-tree",
  ]);
  assertEquals(await list("--limit", "0", "--offset", "4"), [
    "q-signal",
    "q-loop",
  ]);

  const [threads] = await jsonOf<Rec[]>(["list", "--exp", "OM4"], env);
  assertEquals(threads.username, "alice");
  assertEquals(threads.hosts, ["vm"]);
  assertEquals(threads.num_procs, 1);
  assertEquals(threads.num_threads, 5);
  assertEquals(threads.tags, { run: "b" });
  assertEquals(threads.start_us, Date.UTC(2026, 10, 27, 10) * 1000);
  assertEquals(threads.duration_us, 300_000_000);

  const csv = (await ok(["list", "--csv", "--user", "bob"], env)).stdout;
  const rows = parseCsv(csv);
  assertEquals(rows.map((r) => r.jobid), ["q-tagged", "q-signal"]);
  assertEquals(JSON.parse(rows[0].tags), { run: "a" });
  assertMatch(
    csv.split("\n")[0],
    /^jobid,jobname,username,hosts,.*,duration_us,.*cpu_time_us/,
  );

  const table =
    (await ok(["list", "--limit", "2", "--offset", "1"], env)).stdout;
  const lines = table.trimEnd().split("\n");
  assertMatch(
    lines[0],
    /^JOBID +NAME +USER +START +WALL +PROCS +CPU +EXIT +TAGS$/,
  );
  assertMatch(
    lines[1],
    /^q-tagged +CM4_piControl_C_atmos_00050101 +bob +2026-11-26 10:00:00 +5m00s +3 /,
  );
  assertStringIncludes(lines[3], "(jobs 2-3 of 6");

  const bad = await epmt(["list", "--after", "last tuesday"], { env });
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, 'cannot read "last tuesday" as a date');
  assertEquals((await epmt(["list", "--bogus"], { env })).code, 2);
}

async function listProcsFiltersSortingLimits(
  env: Record<string, string>,
): Promise<void> {
  const procs = (...args: string[]) =>
    jsonOf<Rec[]>(["list", "procs", ...args], env);
  const all = await procs("q-tree", "--limit", "0");
  const files = readPapiexDir(join(PAPIEX, "tree"));
  assertEquals(all.length, files.size);
  // Start order.
  const starts = all.map((p) => p.start_us as number);
  assertEquals(starts, [...starts].sort((a, b) => a - b));
  for (const p of all) {
    const f = files.get(p.pid as number)!.fields;
    assertEquals(p.args, f.args);
    assertEquals(p.cpu_time_us, +f.usertime + +f.systemtime);
    assertEquals(p.rssmax_kib, +f.rssmax);
  }
  assertEquals((await procs("q-tree", "--exe", "sh")).map((p) => p.pid), [
    5680,
    5681,
  ]);
  assertEquals(
    (await procs("q-tree", "--exe", "s*")).map((p) => p.exename).sort(),
    ["sh", "sh", "sleep"],
  );
  const byCpu = await procs("q-tree", "--sort", "cpu", "--limit", "3");
  assertEquals(byCpu.map((p) => p.pid), [5670, 5671, 5680]);
  const byRss = await procs("q-tree", "--sort", "rss", "--limit", "1");
  const maxRss = Math.max(
    ...[...files.values()].map((f) => +f.fields.rssmax),
  );
  assertEquals(byRss[0].rssmax_kib, maxRss);
  assertEquals((await procs("q-tagged", "--tag", "op:ocean")).length, 3);
  assertEquals((await procs("q-tree", "--tag", "op:ocean")).length, 0);

  const text =
    (await ok(["list", "procs", "q-tree", "--limit", "2"], env)).stdout;
  assertStringIncludes(text, "(2 of 9 processes");
  const none = await epmt(["list", "procs", "nope"], { env });
  assertEquals(none.code, 1);
  assertStringIncludes(none.stderr, "job nope is not in the database");
}

async function showTheSummaryMatchesTheFiles(
  env: Record<string, string>,
): Promise<void> {
  const files = [...readPapiexDir(join(PAPIEX, "tree")).values()].map((p) =>
    p.fields
  );
  const s = await jsonOf<Rec>(["show", "q-tree"], env);
  assertEquals(s.jobid, "q-tree");
  assertEquals(s.num_procs, 9);
  assertEquals(s.failed_procs, 0);
  assertEquals(
    s.cpu_time_us,
    files.reduce((a, f) => a + +f.usertime + +f.systemtime, 0),
  );
  assertEquals(s.rssmax_peak_kib, Math.max(...files.map((f) => +f.rssmax)));
  assertEquals(s.write_bytes, files.reduce((a, f) => a + +f.write_bytes, 0));
  assertEquals(s.duration_us, 300_000_000);
  assertEquals((s.top_procs as Rec[]).map((p) => p.pid).slice(0, 2), [
    5670,
    5671,
  ]);

  const failing = await jsonOf<Rec>(["show", "q-failing"], env);
  assertEquals(failing.failed_procs, 2);
  assertEquals(failing.exitcode, 3);
  assertEquals(
    (await jsonOf<Rec>(["show", "q-signal"], env)).failed_procs,
    1,
  );

  const text = (await ok(["show", "q-failing"], env)).stdout;
  assertMatch(
    text,
    /^Job: +q-failing {2}\(CM4_piControl_C_atmos_00050101\)$/m,
  );
  assertMatch(text, /^Exit status: +3$/m);
  assertMatch(text, /^Processes: +2 \(2 threads\), 2 failed/m);
  assertMatch(text, /^Wall time: +5m00s$/m);
  assertMatch(text, /^Top processes by CPU time:\n +PID +EXE +ARGS +CPU/m);
  const tagged = (await ok(["show", "q-tagged"], env)).stdout;
  assertMatch(tagged, /^Process tags: +op:ocean;op_instance:2$/m);
  assertMatch(tagged, /^Storage I\/O: +read 100 KiB, written 20.0 MiB$/m);

  const two = await jsonOf<Rec[]>(["show", "q-tree", "q-tagged"], env);
  assertEquals(ids(two), ["q-tree", "q-tagged"]);
  const missing = await epmt(["show", "q-tree", "nope", "nope2"], { env });
  assertEquals(missing.code, 1);
  assertStringIncludes(
    missing.stderr,
    "jobs nope, nope2 are not in the database",
  );
}

interface TreeNode {
  pid: number;
  count: number;
  exename: string;
  children: TreeNode[];
  hidden_below?: number;
}

async function showTreeParentsAndDepthAsTheCsvPpidsSay(
  env: Record<string, string>,
): Promise<void> {
  // The tree the files describe: parent = the process whose pid is ppid,
  // children in start order.
  const files = [...readPapiexDir(join(PAPIEX, "tree")).values()].map((p) =>
    p.fields
  );
  const expect = (ppid: number): unknown[] =>
    files.filter((f) => +f.ppid === ppid)
      .sort((a, b) => +a.start - +b.start)
      .map((f) => ({
        pid: +f.pid,
        exename: f.exename,
        children: expect(+f.pid),
      }));
  const roots = files.filter((f) => !files.some((p) => p.pid === f.ppid));
  assertEquals(roots.map((f) => +f.pid), [5670]);
  const [{ tree }] = [
    await jsonOf<{ tree: TreeNode[] }>(["show", "--tree", "q-tree"], env),
  ];
  const strip = (n: TreeNode): unknown => ({
    pid: n.pid,
    exename: n.exename,
    children: n.children.map(strip),
  });
  assertEquals(tree.map(strip), expect(+roots[0].ppid));

  const text = (await ok(["show", "--tree", "q-tree"], env)).stdout.trimEnd()
    .split("\n");
  assertMatch(text[0], /^PROCESS +PID +CPU +INCL CPU +EXIT$/);
  assertMatch(text[1], /^bash -c ls \/etc .* +5670 +3\.68 ms +12\.4 ms +0$/);
  assertMatch(text[6], /^│ {2}└─ sleep 0\.05 +5675 /);
  assertMatch(text[9], /^ {3}└─ tr a-z A-Z +5683 /);
  assertEquals(text.length, 10);

  const shallow = await jsonOf<{ tree: TreeNode[] }>(
    ["show", "--tree", "--depth", "0", "q-tree"],
    env,
  );
  assertEquals(shallow.tree[0].children, []);
  assertEquals(shallow.tree[0].hidden_below, 8);
  const one =
    (await ok(["show", "--tree", "--depth", "1", "q-tree"], env)).stdout;
  assertStringIncludes(one, "sh -c echo hi | tr a-z A-Z (+2 below)");
}

async function showTreeIdenticalSiblingsCollapse(
  env: Record<string, string>,
): Promise<void> {
  const lines = (await ok(["show", "--tree", "q-loop"], env)).stdout.trimEnd()
    .split("\n")
    .slice(1).map((l) => l.split(/ {2,}(?=\d)/)[0]);
  assertEquals(lines, [
    "bash loop.sh",
    "├─ true ×30",
    "├─ sh -c a|b ×3",
    "│  ├─ a ×3",
    "│  └─ b ×3",
    "├─ sleep 1",
    "└─ cp f0 out/ … ×12 (12 variants)",
  ]);
  const exact = (await ok(["show", "--tree", "--exact", "q-loop"], env)).stdout;
  assertStringIncludes(exact, "├─ cp f10 out/ ");
  assertStringIncludes(exact, "└─ cp f11 out/ ");
  const { tree } = await jsonOf<{ tree: (TreeNode & Rec)[] }>([
    "show",
    "--tree",
    "q-loop",
  ], env);
  const t30 = tree[0].children[0] as TreeNode & Rec;
  assertEquals([t30.exename, t30.count, t30.cpu_time_us], ["true", 30, 300]);
  const narrow =
    (await ok(["show", "--tree", "--width", "1", "q-loop"], env)).stdout;
  assertStringIncludes(
    narrow,
    "└─ … 16 more (cp ×12, sh ×3, sleep ×1, +6 below)",
  );
  assert(!narrow.includes("sleep 1"));
}

Deno.test("query commands on submitted fixtures", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    await submitAll(dir, env);
    await step.step(
      "list: filters, order, paging, formats",
      () => listFiltersOrderPagingFormats(env),
    );
    await step.step(
      "list procs: filters, sorting, limits",
      () => listProcsFiltersSortingLimits(env),
    );
    await step.step(
      "show: the summary matches the files",
      () => showTheSummaryMatchesTheFiles(env),
    );
    await step.step(
      "show --tree: parents and depth as the CSV ppids say",
      () => showTreeParentsAndDepthAsTheCsvPpidsSay(env),
    );
    await step.step(
      "show --tree: identical siblings collapse",
      () => showTreeIdenticalSiblingsCollapse(env),
    );
  });
});

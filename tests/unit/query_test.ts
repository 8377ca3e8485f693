/**
 * list, show, export, compare, annotate, delete and outliers in-process, on
 * a real SQLite database loaded by submitting the shared fixtures with
 * `epmt submit` (also in-process); values checked against the files.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../assert.ts";
import { join } from "node:path";
import { PAPIEX, parseCsv, readPapiexDir } from "../query_helpers.ts";
import { JOBS, queryBox } from "./cli.ts";

type Rec = Record<string, unknown>;
const b = await queryBox();
const ids = (rows: Rec[]) => rows.map((r) => r.jobid);
const tree = [...readPapiexDir(join(PAPIEX, "tree")).values()].map((p) =>
  p.fields
);

/** stdout of a run that must succeed. */
async function out(...args: string[]): Promise<string> {
  const r = await b.epmt(args);
  assertEquals(r.code, 0, `epmt ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function json<T = Rec[]>(...args: string[]): Promise<T> {
  return JSON.parse(await out(...args, "--json")) as T;
}

Deno.test("list: every job, newest first", async () => {
  assertEquals(ids(await json("list")), [
    "u-threads",
    "u-tagged",
    "u-tree",
    "u-failing",
    "u-signal",
  ]);
});

const filters: [string[], string[]][] = [
  [["--user", "bob"], ["u-tagged", "u-signal"]],
  [["-u", "bob"], ["u-tagged", "u-signal"]],
  [["--tag", "op:ocean"], ["u-tagged"]],
  [["-t", "run:b"], ["u-threads"]],
  [["--tag", "run"], ["u-threads", "u-tagged"]],
  [["--tag", "run:a", "--tag", "op:ocean"], ["u-tagged"]],
  [["--tag", "op:land"], []],
  [["--after", "2026-11-25"], ["u-threads", "u-tagged", "u-tree"]],
  [["--before", "2026-11-24"], ["u-signal"]],
  [["--exp", "OM4"], ["u-threads"]],
  [["--limit", "2", "--offset", "1"], ["u-tagged", "u-tree"]],
  [["-l", "1"], ["u-threads"]],
  [["--limit=0", "--offset=3"], ["u-failing", "u-signal"]],
];
for (const [args, want] of filters) {
  Deno.test(`list ${args.join(" ")}`, async () => {
    assertEquals(ids(await json("list", ...args)), want);
  });
}

Deno.test("list --csv: a header and one row per job", async () => {
  const csv = await out("list", "--csv", "--user", "bob");
  assertEquals(parseCsv(csv).map((r) => r.jobid), ["u-tagged", "u-signal"]);
  assertMatch(csv.split("\n")[0], /^jobid,jobname,username,hosts,/);
});

Deno.test("list --json --csv is refused", async () => {
  const r = await b.epmt(["list", "--json", "--csv"]);
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "give --json or --csv, not both");
});

Deno.test("list: a table with a header and a paging line", async () => {
  const lines = (await out("list", "--limit", "2")).trimEnd().split("\n");
  assertMatch(
    lines[0],
    /^JOBID +NAME +USER +START +WALL +PROCS +CPU +EXIT +TAGS$/,
  );
  assertMatch(lines[1], /^u-threads +CM4_piControl_C_atmos_00050101 +alice /);
  assertStringIncludes(lines.at(-1)!, "(jobs 1-2 of 5");
});

Deno.test("list procs: every process of the files, in start order", async () => {
  const all = await json("list", "procs", "u-tree", "--limit", "0");
  assertEquals(all.length, tree.length);
  const starts = all.map((p) => p.start_us as number);
  assertEquals(starts, [...starts].sort((x, y) => x - y));
});

Deno.test("list procs --exe, --sort, --tag", async () => {
  const pids = (rows: Rec[]) => rows.map((p) => p.pid);
  assertEquals(pids(await json("list", "procs", "u-tree", "--exe", "sh")), [
    5680,
    5681,
  ]);
  assertEquals(
    pids(await json("list", "procs", "u-tree", "--sort", "cpu", "-l", "3")),
    [5670, 5671, 5680],
  );
  const [big] = await json(
    "list",
    "procs",
    "u-tree",
    "--sort",
    "rss",
    "-l",
    "1",
  );
  assertEquals(big.rssmax_kib, Math.max(...tree.map((f) => +f.rssmax)));
  assertEquals(
    (await json("list", "procs", "u-tagged", "-t", "op:ocean")).length,
    3,
  );
});

Deno.test("list procs of an unknown job names it", async () => {
  const r = await b.epmt(["list", "procs", "nope"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "job nope is not in the database");
});

Deno.test("show --json: sums and peaks match the files", async () => {
  const s = await json<Rec>("show", "u-tree");
  assertEquals(s.jobid, "u-tree");
  assertEquals(s.num_procs, 9);
  assertEquals(
    s.cpu_time_us,
    tree.reduce((a, f) => a + +f.usertime + +f.systemtime, 0),
  );
  assertEquals(s.rssmax_peak_kib, Math.max(...tree.map((f) => +f.rssmax)));
  assertEquals(s.duration_us, 300_000_000);
});

Deno.test("show: failed processes and the exit status", async () => {
  const text = await out("show", "u-failing");
  assertMatch(text, /^Exit status: +3$/m);
  assertMatch(text, /^Processes: +2 \(2 threads\), 2 failed/m);
  assertMatch(text, /^Wall time: +5m00s$/m);
});

Deno.test("show --top 0 lists no top processes", async () => {
  assert(
    !(await out("show", "u-tree", "--top", "0")).includes("Top processes"),
  );
  assertStringIncludes(
    await out("show", "u-tree"),
    "Top processes by CPU time",
  );
});

Deno.test("show two jobs; show a missing job", async () => {
  assertEquals(ids(await json<Rec[]>("show", "u-tree", "u-tagged")), [
    "u-tree",
    "u-tagged",
  ]);
  const r = await b.epmt(["show", "u-tree", "nope", "nope2"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "jobs nope, nope2 are not in the database");
});

Deno.test("show --tree (-t): one root, as the ppids say", async () => {
  const lines = (await out("show", "-t", "u-tree")).trimEnd().split("\n");
  assertMatch(lines[0], /^PROCESS +PID +CPU +INCL CPU +EXIT$/);
  assertMatch(lines[1], /^bash -c ls \/etc .* +5670 /);
  assertEquals(lines.length, 1 + tree.length);
});

Deno.test("show --tree --depth (-d) 0 hides the rest below", async () => {
  const { tree: roots } = await json<{ tree: Rec[] }>(
    "show",
    "--tree",
    "-d",
    "0",
    "u-tree",
  );
  assertEquals(roots[0].children, []);
  assertEquals(roots[0].hidden_below, 8);
});

Deno.test("export --what procs: every process with its file's values", async () => {
  const rows = JSON.parse(
    await out("export", "u-tree", "-w", "procs"),
  ) as Rec[];
  assertEquals(rows.length, tree.length);
  for (const p of rows) {
    const f = tree.find((x) => +x.pid === p.pid)!;
    assertEquals(p.args, f.args);
    assertEquals(p.exename, f.exename);
    assertEquals(p.ppid, +f.ppid);
  }
});

Deno.test("export -f csv: one row per thread", async () => {
  const rows = parseCsv(
    await out("export", "u-threads", "--what", "threads", "-f", "csv"),
  );
  assertEquals(rows.length, 5);
});

Deno.test("export -o FILE.csv writes CSV; -n writes nothing", async () => {
  const file = join(b.dir, "jobs.csv");
  const dry = await b.epmt(["export", "u-tree", "u-tagged", "-o", file, "-n"]);
  assertEquals(dry.stdout, `would write 2 jobs to ${file}\n`);
  assertEquals(await Deno.stat(file).catch(() => null), null);
  assertEquals(await out("export", "u-tree", "u-tagged", "-o", file), "");
  const rows = parseCsv(await Deno.readTextFile(file));
  assertEquals(rows.map((r) => r.jobid).sort(), ["u-tagged", "u-tree"]);
});

Deno.test("-v after the command: the same INFO line as before it", async () => {
  const file = join(b.dir, "v.json");
  for (
    const args of [["-v", "export", "u-tree", "-o", file], [
      "export",
      "u-tree",
      "-o",
      file,
      "-v",
    ]]
  ) {
    const r = await b.epmt(args);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, `INFO:epmt: wrote 1 job to ${file}\n`);
  }
  assertEquals((await b.epmt(["export", "u-tree", "-o", file])).stderr, "");
});

Deno.test("export to a directory that does not exist names it", async () => {
  const file = join(b.dir, "no", "such", "x.json");
  const r = await b.epmt(["export", "u-tree", "-o", file]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, `cannot write ${file}`);
});

Deno.test("compare --json: sums of both jobs and their ratio", async () => {
  const c = await json<{ a: string; b: string; sums: Rec[] }>(
    "compare",
    "u-tree",
    "u-tagged",
  );
  assertEquals([c.a, c.b], ["u-tree", "u-tagged"]);
  const procs = c.sums.find((m) => m.metric === "num_procs")!;
  assertEquals([procs.a, procs.b, procs.ratio], [9, 3, 1 / 3]);
  const cpu = c.sums.find((m) => m.metric === "cpu_time_us")!;
  assertEquals(
    cpu.a,
    tree.reduce((a, f) => a + +f.usertime + +f.systemtime, 0),
  );
});

Deno.test("compare: a table with units and B/A", async () => {
  const text = await out("compare", "u-tree", "u-tagged", "-l", "3");
  assertMatch(text, /^A: u-tree /m);
  assertMatch(text, /^METRIC +A +B +B\/A$/m);
  assertMatch(text, /^num_procs +9 +3 +0\.333$/m);
});

Deno.test("annotate: store, replace, remove (-r), -n changes nothing", async () => {
  assertEquals(
    await out("annotate", "u-signal", "a=1", "b=2"),
    "a:  1\nb:  2\n",
  );
  assertEquals(
    await out("annotate", "u-signal", "a=3", "-r", "b", "-n"),
    "would store for job u-signal (nothing changed):\na:  3\n",
  );
  assertEquals(await json<Rec>("annotate", "u-signal"), { a: "1", b: "2" });
  await out("annotate", "u-signal", "--remove", "a", "--remove", "b");
  assertEquals(
    await out("annotate", "u-signal"),
    "job u-signal has no annotations\n",
  );
});

Deno.test("outliers: too few jobs in a group says so", async () => {
  const r = await b.epmt(["outliers", "u-tree", "u-tagged", "-m", "iqr"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "ERROR:epmt: ");
});

Deno.test("outliers -f with an unknown feature names it", async () => {
  const r = await b.epmt(["outliers", ...JOBS.map((j) => j[0]), "-f", "nope"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "unknown feature nope");
});

Deno.test("outliers: the job with 27 times the cpu stands out", async () => {
  const [r] = await json<
    { jobs: string[]; outliers: { jobid: string; feature: string }[] }[]
  >("outliers", ...JOBS.map((j) => j[0]), "-m", "iqr");
  assertEquals(r.jobs.length, 5);
  assert(
    r.outliers.some((o) =>
      o.jobid === "u-threads" && o.feature === "cpu_time_us"
    ),
    JSON.stringify(r.outliers),
  );
  const cpu = r.outliers.filter((o) => o.feature === "cpu_time_us");
  assertEquals([...new Set(cpu.map((o) => o.jobid))], ["u-threads"]);
});

Deno.test("delete -n keeps the job; delete removes it; again fails", async () => {
  assertEquals(
    await out("delete", "-n", "u-failing"),
    "would delete job u-failing (2 processes)\n",
  );
  assertEquals(ids(await json("list", "--exp", "CM4_piControl_C")).length, 4);
  assertEquals(
    await out("delete", "u-failing"),
    "deleted job u-failing (2 processes)\n",
  );
  const again = await b.epmt(["delete", "u-failing"]);
  assertEquals(again.code, 1);
  assertStringIncludes(again.stderr, "u-failing");
});

Deno.test("submit again refuses a job already stored", async () => {
  const r = await b.epmt(["submit", join(b.dir, "jobs", "u-tree")]);
  assertEquals(r.code, 1);
  assertMatch(r.stdout, /^FAILED .*u-tree: /m);
});

Deno.test("submit -n after the dirs reads them and writes nothing", async () => {
  const dir = join(b.dir, "jobs", "u-failing");
  const r = await b.epmt(["submit", dir, "-n"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stdout,
    `would load job u-failing (2 processes, 2 threads) from ${dir}\n`,
  );
  assertEquals((await b.epmt(["show", "u-failing"])).code, 1);
});

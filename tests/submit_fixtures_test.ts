/**
 * Every collector fixture submitted through the real CLI into SQLite and
 * PostgreSQL, and the stored values checked against the files.
 */
import { assert, assertEquals } from "./assert.ts";
import { epmt, FIXTURES, sandbox } from "./helpers.ts";
import { createTestDb } from "./pg.ts";
import { jobFromFixture, PAPIEX, readCsvDir } from "./submit_jobs.ts";
import { openStore, type Store } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { join } from "node:path";

const CSV_FIXTURES = [
  "single",
  "tree",
  "threads",
  "failing",
  "signal",
  "tagged",
];

async function withBoth(
  t: Deno.TestContext,
  fn: (env: Record<string, string>, dir: string) => Promise<void>,
): Promise<void> {
  const box = await sandbox();
  const pg = await createTestDb();
  try {
    await t.step("sqlite", () => fn(box.env, box.dir));
    await t.step("postgres", () => fn({ ...box.env, ...pg.env }, box.dir));
  } finally {
    await pg.drop();
    await Deno.remove(box.dir, { recursive: true });
  }
}

async function store(env: Record<string, string>): Promise<Store> {
  return await openStore(loadSettings(env).settings);
}

Deno.test("submit: args are stored exact to the byte on both databases", async (t) => {
  // The collector's escaped form, and what it stands for.
  const cases: [string, string][] = [
    ["a\\,b\\\\c\\nd\\te", "a,b\\c\nd\te"],
    ["\\\\N", "\\N"], // a literal backslash-N: not COPY's NULL
    ["", ""],
    [
      "quote\" 'single' ü → 日本 \\a\\v\\r",
      "quote\" 'single' ü → 日本 \x07\v\r",
    ],
    ["trailing\\\\", "trailing\\"],
  ];
  await withBoth(t, async (env, dir) => {
    const job = await jobFromFixture(
      join(dir, `esc-${env.EPMT_DB_PROVIDER ?? "sqlite"}`),
      "esc",
      "single",
    );
    const file = join(job, "vm-papiex-5649-0.csv");
    const [header, row] = (await Deno.readTextFile(file)).split("\n");
    await Deno.remove(file);
    const fields = row.split(",");
    for (const [i, [escaped]] of cases.entries()) {
      fields[4] = escaped; // args
      fields[7] = fields[14] = String(7000 + i); // pid, tid
      await Deno.writeTextFile(
        join(job, `vm-papiex-${7000 + i}-0.csv`),
        `${header}\n${fields.join(",")}\n`,
      );
    }
    const r = await epmt(["submit", job], { env });
    assertEquals(r.code, 0, r.stderr);
    const s = await store(env);
    try {
      const rows = await s.query<{ pid: number; args: string }>(
        "SELECT pid, args FROM processes WHERE jobid = 'esc' ORDER BY pid",
      );
      assertEquals(
        rows.map((x) => x.args),
        cases.map(([, decoded]) => decoded),
      );
    } finally {
      await s.close();
    }
  });
});

Deno.test("submit: every fixture loads and matches its files", async (t) => {
  await withBoth(t, async (env, dir) => {
    const jobs = join(dir, `jobs-${env.EPMT_DB_PROVIDER ?? "sqlite"}`);
    const dirs = [];
    for (const f of [...CSV_FIXTURES, "collated"]) {
      dirs.push(await jobFromFixture(jobs, `job-${f}`, f));
    }
    const python = join(FIXTURES, "epmt-python");
    const r = await epmt(
      ["submit", ...dirs, join(python, "2718281.tgz")],
      { env },
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "");
    assert(r.stdout.includes("loaded 8 of 8 jobs"), r.stdout);
    const s = await store(env);
    try {
      for (const f of CSV_FIXTURES) {
        const files = readCsvDir(join(PAPIEX, f));
        const rows = await s.query<Record<string, unknown>>(
          "SELECT * FROM processes WHERE jobid = ? ORDER BY idx",
          [`job-${f}`],
        );
        assertEquals(rows.length, files.length, f);
        const byPid = new Map(rows.map((row) => [row.pid, row]));
        for (const p of files) {
          const row = byPid.get(p.pid)!;
          assertEquals(row.args, p.args, `${f} ${p.pid} args`);
          // stored without its directory (src/ingest/row_writer.ts)
          assertEquals(row.exename, p.exename.split("/").pop());
          assertEquals(row.host, p.host);
          assertEquals(row.numtids, p.numtids);
          assertEquals(row.usertime, p.usertime);
          assertEquals(row.systemtime, p.systemtime);
          assertEquals(row.cpu_time, p.usertime + p.systemtime);
          assertEquals(row.rssmax, p.rssmax);
          assertEquals(row.start_us, p.start);
          assertEquals(row.duration_us, p.end - p.start);
          assertEquals(row.exitcode, p.exitcode);
          // The parent is the process whose pid is the ppid (pids are
          // unique in these samples), else none.
          const parent = rows.find((x) => x.pid === p.ppid);
          assertEquals(row.parent, parent ? parent.idx : null, `${f} parent`);
          assertEquals(row.depth, parent ? (parent.depth as number) + 1 : 0);
        }
        // inclusive cpu = own + children's inclusive
        for (const row of rows) {
          const kids = rows.filter((x) => x.parent === row.idx);
          assertEquals(
            row.inclusive_cpu_time,
            (row.cpu_time as number) +
              kids.reduce((a, k) => a + (k.inclusive_cpu_time as number), 0),
          );
        }
        const [job] = await s.query<Record<string, unknown>>(
          "SELECT * FROM jobs WHERE jobid = ?",
          [`job-${f}`],
        );
        assertEquals(job.num_procs, files.length);
        assertEquals(job.num_threads, files.reduce((a, p) => a + p.numtids, 0));
        const sums = JSON.parse(job.proc_sums as string);
        assertEquals(sums.usertime, files.reduce((a, p) => a + p.usertime, 0));
        assertEquals(job.cpu_time, sums.usertime + sums.systemtime);
        assertEquals(job.username, "alice");
        assertEquals(JSON.parse(job.hosts as string), ["vm"]);
        assertEquals(job.start_us, Date.parse("2026-11-26T02:20:00Z") * 1000);
        assertEquals(job.duration_us, 300_000_000);
      }
      // The threads sample: args with commas and newlines, 5 threads.
      const [th] = await s.query<Record<string, unknown>>(
        "SELECT args, threads FROM processes WHERE jobid = 'job-threads'",
      );
      assert((th.args as string).includes("threading,time\ndef w():\n"));
      assertEquals(JSON.parse(th.threads as string).length, 5);
      // The tree sample: bash at the root, sleep three deep.
      const tree = await s.query<{ exename: string; depth: number }>(
        "SELECT exename, depth FROM processes WHERE jobid = 'job-tree' ORDER BY idx",
      );
      assertEquals(tree[0], { ...tree[0], exename: "bash", depth: 0 });
      assertEquals(
        tree.find((p) => p.exename === "sleep")!.depth,
        2,
      );
      // The tagged sample: tags as JSON, distinct in the job.
      const [tg] = await s.query<{ proc_tags: string }>(
        "SELECT proc_tags FROM jobs WHERE jobid = 'job-tagged'",
      );
      assertEquals(JSON.parse(tg.proc_tags), [{
        op: "ocean",
        op_instance: "2",
      }]);
      // The collated TSV: text as written, sh the parent of ls and cat.
      const col = await s.query<Record<string, unknown>>(
        "SELECT exename, args, parent, depth FROM processes WHERE jobid = 'job-collated' ORDER BY idx",
      );
      assertEquals(col.map((c) => ({ ...c })), [
        { exename: "sh", args: "-c true", parent: null, depth: 0 },
        { exename: "ls", args: "", parent: 0, depth: 1 },
        { exename: "cat", args: "/etc/hostname", parent: 0, depth: 1 },
      ]);
      // The Python EPMT's archive: pickled metadata, EST times.
      const [py] = await s.query<Record<string, unknown>>(
        "SELECT jobname, username, exp_name, num_procs, start_us FROM jobs WHERE jobid = '2718281'",
      );
      assertEquals({ ...py }, {
        jobname: "ESM4_hist_atmos_18540101",
        username: "Foo.Bar",
        exp_name: "ESM4_hist",
        num_procs: 9,
        start_us: Date.parse("2026-11-26T02:20:16.879Z") * 1000 + 905,
      });
    } finally {
      await s.close();
    }
  });
});

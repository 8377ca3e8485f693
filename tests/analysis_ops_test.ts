/**
 * `epmt ops` on jobs with known numbers, on SQLite and PostgreSQL: exact
 * op wall times with overlapping and nested processes, shares of the job,
 * and the steps of a job without tags.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { analysisJob, type P } from "./analysis_jobs.ts";
import { epmt } from "./helpers.ts";
import { jsonOf, ok, withBothDbs } from "./query_helpers.ts";

const S = 1_000_000;

interface OpJson {
  op: string;
  procs: number;
  wall_us: number;
  cpu_us: number;
  share_wall: number;
  share_cpu: number;
  read_bytes: number;
  rssmax_peak_kib: number;
  verdict: { kind: string; reason: string };
  count?: number;
}
interface OpsJson {
  by: string;
  grouping: string;
  ops: OpJson[];
}

/** pre: 201 [1,11] with a child 202 [2,6], and 203 [8,15]: 14 s of wall. */
const tagged: P[] = [
  {
    pid: 100,
    ppid: 1,
    exe: "bash",
    args: "job.sh",
    start: 0,
    end: 100 * S,
    cpu: 1 * S,
  },
  {
    pid: 201,
    ppid: 100,
    exe: "pre",
    start: 1 * S,
    end: 11 * S,
    cpu: 5 * S,
    tags: "op:pre",
    read: 1000,
  },
  {
    pid: 202,
    ppid: 201,
    exe: "prechild",
    start: 2 * S,
    end: 6 * S,
    cpu: 4 * S,
    tags: "op:pre",
    rss: 5000,
  },
  {
    pid: 203,
    ppid: 100,
    exe: "pre2",
    start: 8 * S,
    end: 15 * S,
    cpu: 2 * S,
    tags: "op:pre",
    read: 500,
  },
  {
    pid: 210,
    ppid: 100,
    exe: "model",
    start: 20 * S,
    end: 50 * S,
    cpu: 29 * S,
    tags: "op:model",
  },
  {
    pid: 211,
    ppid: 100,
    exe: "model",
    start: 30 * S,
    end: 60 * S,
    cpu: 29 * S,
    tags: "op:model",
  },
  {
    pid: 212,
    ppid: 100,
    exe: "model",
    start: 70 * S,
    end: 80 * S,
    cpu: 9 * S,
    tags: "op:model",
  },
];

/** Untagged: true ×3 one after another, a pipeline, a sleep. */
const untagged: P[] = [
  {
    pid: 100,
    ppid: 1,
    exe: "bash",
    args: "job.sh",
    start: 0,
    end: 10 * S,
    cpu: 10_000,
  },
  ...[0, 1, 2].map((i) => ({
    pid: 110 + i,
    ppid: 100,
    exe: "true",
    start: 0.1 * S + i * 1.1 * S,
    end: 1.1 * S + i * 1.1 * S,
    cpu: 0.9 * S,
  })),
  {
    pid: 120,
    ppid: 100,
    exe: "sh",
    args: "-c x|y",
    start: 4 * S,
    end: 5 * S,
    cpu: 1000,
  },
  { pid: 121, ppid: 120, exe: "x", start: 4.1 * S, end: 4.9 * S, cpu: 0.7 * S },
  { pid: 122, ppid: 120, exe: "y", start: 4.2 * S, end: 4.8 * S, cpu: 0.5 * S },
  {
    pid: 130,
    ppid: 100,
    exe: "sleep",
    args: "4",
    start: 5.5 * S,
    end: 9.5 * S,
    cpu: 1000,
  },
  // sh execs model (one process, two images); model runs a helper.
  { pid: 140, ppid: 100, exe: "sh", start: 9.6 * S, end: 9.7 * S, cpu: 1000 },
  {
    pid: 140,
    generation: 1,
    ppid: 100,
    exe: "model",
    args: "-n 1",
    start: 9.7 * S,
    end: 9.9 * S,
    cpu: 0.1 * S,
  },
  {
    pid: 141,
    ppid: 140,
    exe: "helper",
    start: 9.75 * S,
    end: 9.85 * S,
    cpu: 0.05 * S,
  },
];

Deno.test("ops: wall counts overlapping and nested processes once", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok(["submit", await analysisJob(dir, "ops1", tagged, 100 * S)], env);
    const r = await jsonOf<OpsJson>(["ops", "ops1"], env);
    assertEquals([r.by, r.grouping], ["op", "tag"]);
    const by = Object.fromEntries(r.ops.map((o) => [o.op, o]));
    assertEquals(r.ops.map((o) => o.op), ["pre", "model", "untagged"]);
    assertEquals(
      [by.pre.procs, by.pre.wall_us, by.pre.cpu_us],
      [3, 14 * S, 11 * S],
    );
    assertEquals(
      [by.model.procs, by.model.wall_us, by.model.cpu_us],
      [3, 50 * S, 67 * S],
    );
    assertEquals(
      [by.untagged.procs, by.untagged.wall_us, by.untagged.cpu_us],
      [1, 100 * S, 1 * S],
    );
    assertEquals(by.pre.share_wall, 0.14);
    assertEquals(by.model.share_wall, 0.5);
    assertEquals(by.pre.share_cpu, 11 / 79);
    assertEquals([by.pre.read_bytes, by.pre.rssmax_peak_kib], [1500, 5000]);
    // The text table has the same figures, aligned, with units.
    const text = (await ok(["ops", "ops1"], env)).stdout;
    assertStringIncludes(text, "ops by process tag op");
    const pre = text.split("\n").find((l) => l.startsWith("pre "))!;
    assertEquals(pre.split(/\s{2,}/).slice(0, 6), [
      "pre",
      "3",
      "14.0 s",
      "14%",
      "11.0 s",
      "14%",
    ]);
  });
});

Deno.test("ops: a job without the tag is split into its top-level steps", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok(
      ["submit", await analysisJob(dir, "steps1", untagged, 10 * S)],
      env,
    );
    const r = await jsonOf<OpsJson>(["ops", "steps1"], env);
    assertEquals(r.grouping, "steps");
    assertEquals(
      r.ops.map((o) => [o.op, o.procs, o.wall_us, o.count]),
      [
        ["true ×3", 3, 3 * S, 3],
        ["sh -c x|y", 3, 1 * S, 1],
        ["sleep 4", 1, 4 * S, 1],
        ["sh ⇒ model -n 1", 3, 0.3 * S, 1],
      ],
    );
    assertEquals(r.ops[0].cpu_us, 2.7 * S);
    assertEquals(r.ops[1].cpu_us, 1.201 * S);
  });
});

Deno.test("ops: bad input is one clear line", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok(["submit", await analysisJob(dir, "ops2", tagged, 100 * S)], env);
    const missing = await epmt(["ops", "nosuchjob"], { env });
    assertEquals(missing.code !== 0, true);
    assertStringIncludes(missing.stderr, "nosuchjob is not in the database");
    const none = await epmt(["ops"], { env });
    assert(none.code !== 0);
    assertStringIncludes(none.stderr, "name a JOBID");
    const help = await epmt(["ops", "-h"], { env });
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "--by KEY");
    const steps = await jsonOf<OpsJson>(["ops", "--by", "phase", "ops2"], env);
    assertEquals(steps.grouping, "steps");
    assertEquals(steps.by, "phase");
  });
});

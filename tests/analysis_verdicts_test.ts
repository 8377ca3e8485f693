/**
 * Verdicts on jobs built to produce each one, on SQLite and PostgreSQL,
 * through `epmt show --json` and `epmt ops --json`; and one job collected
 * for real (a busy loop under the real collector).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { analysisJob, cpuBoundRanks, type P } from "./analysis_jobs.ts";
import { makeCollector, ROOT } from "./helpers.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { jsonOf, ok, withBothDbs } from "./query_helpers.ts";

const S = 1_000_000;

/** Equal up to floating-point rounding. */
function near(actual: number | null, expected: number): void {
  assert(
    actual !== null && Math.abs(actual - expected) < 1e-9,
    `${actual} is not ${expected}`,
  );
}

interface Verdict {
  kind: string;
  reason: string;
  also: string[];
  numbers: Record<string, number | null>;
}
interface ShowJson {
  verdict: Verdict;
  efficiency: { cpu: number | null; memory: number | null };
  ops: { ops: { op: string; verdict: Verdict }[] };
}

const root = (end: number, cpu = 10_000): P => ({
  pid: 100,
  ppid: 1,
  exe: "bash",
  args: "job.sh",
  start: 0,
  end,
  cpu,
});

/** One op reading from disk most of its life. */
const ioJob: P[] = [
  root(10 * S),
  {
    pid: 101,
    ppid: 100,
    exe: "dd",
    start: 0.1 * S,
    end: 9.9 * S,
    cpu: 1 * S,
    blkio: 8 * S,
    read: 4e9,
    tags: "op:stage_in",
  },
];

/** A driver (op:driver) that waits while its two untagged workers compute. */
const waitingJob: P[] = [
  root(10 * S),
  {
    pid: 101,
    ppid: 100,
    exe: "python",
    args: "driver.py",
    start: 0.1 * S,
    end: 9.9 * S,
    cpu: 0.1 * S,
    tags: "op:driver",
  },
  {
    pid: 102,
    ppid: 101,
    exe: "worker",
    start: 0.2 * S,
    end: 9.8 * S,
    cpu: 9.5 * S,
  },
  {
    pid: 103,
    ppid: 101,
    exe: "worker",
    start: 0.2 * S,
    end: 9.8 * S,
    cpu: 9.5 * S,
  },
];

/** One process busy on one core for the whole job. */
const oneCore: P[] = [
  { pid: 100, ppid: 1, exe: "model", start: 0, end: 10 * S, cpu: 10 * S },
];

/** A job that sleeps. */
const sleepy: P[] = [
  root(10 * S),
  {
    pid: 101,
    ppid: 100,
    exe: "sleep",
    args: "9",
    start: 0.1 * S,
    end: 9.9 * S,
    cpu: 1000,
  },
];

/** Two busy processes holding 45 MiB each at once, of 100 MiB asked for. */
const memJob: P[] = [
  root(10 * S),
  ...[101, 102].map((pid) => ({
    pid,
    ppid: 100,
    exe: "big",
    start: 0.1 * S,
    end: 9.9 * S,
    cpu: 9.7 * S,
    rss: 45 * 1024,
  })),
];

Deno.test("verdicts: each built job gets its verdict, with its numbers", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    const jobs: [string, P[], Record<string, string>][] = [
      ["v_cpu", cpuBoundRanks(), {
        SLURM_CPUS_ON_NODE: "4",
        SLURM_JOB_NUM_NODES: "1",
      }],
      ["v_io", ioJob, {}],
      ["v_wait", waitingJob, {}],
      ["v_8x1", oneCore, { SLURM_CPUS_ON_NODE: "8", SLURM_JOB_NUM_NODES: "1" }],
      ["v_idle", sleepy, {}],
      ["v_mem", memJob, { SLURM_MEM_PER_NODE: "100" }],
    ];
    for (const [id, procs, jobEnv] of jobs) {
      await ok(
        ["submit", await analysisJob(dir, id, procs, 10 * S, jobEnv)],
        env,
      );
    }
    const show = (id: string) => jsonOf<ShowJson>(["show", id], env);
    const opVerdict = (s: ShowJson, op: string) =>
      s.ops.ops.find((o) => o.op === op)!.verdict;

    const cpu = await show("v_cpu");
    assertEquals(cpu.verdict.kind, "cpu-bound");
    assertEquals(opVerdict(cpu, "solve").kind, "cpu-bound");
    assert(cpu.efficiency.cpu! > 0.99, `${cpu.efficiency.cpu}`);

    const io = await show("v_io");
    assertEquals(io.verdict.kind, "io-wait");
    const stage = opVerdict(io, "stage_in");
    assertEquals(stage.kind, "io-wait");
    near(stage.numbers.io_wait, 8 / 9.8);
    assertStringIncludes(stage.reason, "waited for disk I/O 82%");

    const wait = await show("v_wait");
    const driver = opVerdict(wait, "driver");
    assertEquals(driver.kind, "waiting-on-children");
    near(driver.numbers.child_wait, 9.6 / 9.8);
    // The workers are where the time went: the job is cpu-bound.
    assertEquals(wait.verdict.kind, "cpu-bound");
    assertEquals(opVerdict(wait, "untagged").kind, "cpu-bound");

    const under = await show("v_8x1");
    assertEquals(under.verdict.kind, "underused");
    near(under.efficiency.cpu, 0.125);
    assertStringIncludes(
      under.verdict.reason,
      "used 1.00 of 8 cores requested",
    );
    assertEquals(under.verdict.also, ["cpu-bound"]);

    assertEquals((await show("v_idle")).verdict.kind, "idle");

    const mem = await show("v_mem");
    assertEquals(mem.verdict.kind, "cpu-bound");
    assertEquals(mem.verdict.also, ["memory-heavy"]);
    // 45 MiB twice plus the job script's 1 MiB, at once, of 100 MiB.
    near(mem.efficiency.memory, 0.91);

    // The text of show and ops says the same.
    const text = (await ok(["show", "v_8x1"], env)).stdout;
    assert(/^Verdict: +underused: used 1\.00 of 8 cores/m.test(text), text);
    assert(
      /^CPU efficiency: +13% \(1\.00 cores busy on average\)$/m.test(text),
      text,
    );
    const ops = (await ok(["ops", "v_io"], env)).stdout;
    assertStringIncludes(
      ops,
      "stage_in: io-wait: processes waited for disk I/O",
    );
  });
});

Deno.test("verdicts: a job collected for real, a busy loop, is cpu-bound", async () => {
  await makeCollector();
  const box = await jobBox();
  try {
    const env = { ...slurm("4242"), EPMT_INSTALL_PREFIX: ROOT };
    const run = await box.epmt([
      "-a",
      "run",
      "sh",
      "-c",
      "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done",
    ], env);
    assertEquals(run.code, 0, run.stderr);
    const submit = await box.epmt(
      ["submit", `${box.out}Foo.Bar/4242`],
      env,
    );
    assertEquals(submit.code, 0, submit.stderr);
    const show = await box.epmt(["show", "--json", "4242"], env);
    const s = JSON.parse(show.stdout) as ShowJson;
    assertEquals(s.verdict.kind, "cpu-bound", JSON.stringify(s.verdict));
    assertEquals(s.ops.ops.length, 1);
    assertEquals(s.ops.ops[0].verdict.kind, "cpu-bound");
  } finally {
    await box.remove();
  }
});

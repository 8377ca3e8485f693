/**
 * `epmt show --critical` through a straggler, on SQLite and PostgreSQL:
 * steps one after another are all on the path, of ranks side by side only
 * the one that ended last, and a background process that ended early is
 * not on it.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { analysisJob, type P } from "./analysis_jobs.ts";
import { epmt } from "./helpers.ts";
import { jsonOf, ok, withBothDbs } from "./query_helpers.ts";

const S = 1_000_000;

const job: P[] = [
  { pid: 100, ppid: 1, exe: "bash", args: "job.sh", start: 0, end: 100 * S },
  { pid: 101, ppid: 100, exe: "prep", start: 1 * S, end: 10 * S },
  { pid: 104, ppid: 100, exe: "monitor", start: 1 * S, end: 50 * S },
  {
    pid: 102,
    ppid: 100,
    exe: "mpirun",
    args: "-n 3 ./solve",
    start: 10 * S,
    end: 90 * S,
  },
  { pid: 110, ppid: 102, exe: "solve", start: 11 * S, end: 60 * S },
  { pid: 111, ppid: 102, exe: "solve", start: 11 * S, end: 85 * S },
  { pid: 112, ppid: 102, exe: "solve", start: 11 * S, end: 55 * S },
  { pid: 103, ppid: 100, exe: "post", start: 90 * S, end: 99 * S },
];

interface Critical {
  job_wall_us: number;
  steps: {
    pid: number;
    level: number;
    wall_us: number;
    self_us: number;
    share: number;
  }[];
}

Deno.test("critical path: through the straggler, steps in turn", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok(["submit", await analysisJob(dir, "crit1", job, 100 * S)], env);
    const c = await jsonOf<Critical>(["show", "--critical", "crit1"], env);
    assertEquals(c.job_wall_us, 100 * S);
    assertEquals(
      c.steps.map((s) => [s.pid, s.level, s.wall_us, s.self_us, s.share]),
      [
        [100, 0, 100 * S, 2 * S, 1],
        [101, 1, 9 * S, 9 * S, 0.09],
        [102, 1, 80 * S, 6 * S, 0.8],
        [111, 2, 74 * S, 74 * S, 0.74],
        [103, 1, 9 * S, 9 * S, 0.09],
      ],
    );
    const text = (await ok(["show", "--critical", "crit1"], env)).stdout;
    assertStringIncludes(text, "critical path (5 processes");
    const lines = text.split("\n");
    const solve = lines.find((l) => l.startsWith("    solve"))!;
    assertEquals(solve.trim().split(/\s{2,}/).slice(1), [
      "111",
      "+11.0 s",
      "1m14s",
      "74%",
      "1m14s",
    ]);
    const both = await epmt(["show", "--critical", "--tree", "crit1"], { env });
    assertEquals(both.code, 2);
    assertStringIncludes(both.stderr, "--tree or --critical");
  });
});

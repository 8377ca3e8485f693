/**
 * outliers on synthetic jobs submitted with the real `epmt submit`: a
 * planted outlier among 8 similar jobs is found, 8 identical jobs give
 * none, too few jobs give a clear message; on SQLite and PostgreSQL.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import { epmt } from "./helpers.ts";
import {
  generatedJob,
  type GenProcess,
  jsonOf,
  ok,
  withBothDbs,
} from "./query_helpers.ts";

interface Outlier {
  jobid: string;
  feature: string;
  method: string;
  score: number | string;
  value: number;
  median: number;
}
interface Group {
  group: Record<string, string>;
  jobs: string[];
  skipped?: string;
  outliers: Outlier[];
  scores: Record<string, unknown>[];
}

/** A job script running 3 tagged model steps and a post-processing step. */
function job(i: number, factor: number): GenProcess {
  const spread = 1 + 0.01 * (i % 5) - 0.02;
  return {
    exe: "bash",
    args: "run.sh",
    cpu: 1000,
    kids: [
      ...[1, 2, 3].map((s) => ({
        exe: "model",
        args: `--step ${s}`,
        cpu: Math.round(100_000 * spread * factor),
        tags: "op:ocean",
      })),
      { exe: "post", cpu: Math.round(5000 * spread), tags: "op:land" },
    ],
  };
}

async function makeJobs(
  dir: string,
  env: Record<string, string>,
): Promise<void> {
  const dirs: string[] = [];
  for (let i = 0; i < 9; i++) {
    const planted = i === 6;
    const id = planted ? "out-planted" : `out-${i}`;
    const wall = planted ? 180e6 : 60e6 * (1 + 0.01 * (i % 4));
    dirs.push(
      await generatedJob(dir, id, job(i, planted ? 10 : 1), wall, {
        exp_name: "OUT",
        exp_component: "ocean",
        job_tags: { campaign: "c1" },
      }),
    );
  }
  for (let i = 0; i < 8; i++) {
    dirs.push(
      await generatedJob(dir, `same-${i}`, job(0, 1), 60e6, {
        exp_name: "SAME",
        exp_component: "ocean",
      }),
    );
  }
  await ok(["submit", ...dirs], env);
}

const flagged = (g: Group) =>
  [...new Set(g.outliers.map((o) => `${o.jobid} ${o.feature} ${o.method}`))]
    .sort();

async function plantedFound(env: Record<string, string>): Promise<void> {
  const [g] = await jsonOf<Group[]>(["outliers", "--exp", "OUT"], env);
  assertEquals(g.group, { exp_name: "OUT", exp_component: "ocean" });
  assertEquals(g.jobs.length, 9);
  assertEquals(flagged(g), [
    "out-planted cpu_time_us iqr",
    "out-planted cpu_time_us modified-zscore",
    "out-planted duration_us iqr",
    "out-planted duration_us modified-zscore",
  ]);
  const cpu = g.outliers.find((o) =>
    o.feature === "cpu_time_us" && o.method === "iqr"
  )!;
  assert(Number(cpu.score) > 1.5, "beyond 1.5 IQR");
  const total = (p: GenProcess): number =>
    p.cpu + (p.kids ?? []).reduce((a, k) => a + total(k), 0);
  assertEquals(
    cpu.value,
    total(job(6, 10)),
    "the planted job's cpu, as generated",
  );
  // zscore was run and says why it cannot flag among 9 jobs.
  assertEquals(g.scores.length, 9 * 3);
  assert(g.scores.every((s) => Math.abs(Number(s.zscore)) <= Math.sqrt(8)));

  const text = (await ok(["outliers", "--exp", "OUT"], env)).stdout;
  assertMatch(text, /^exp_name OUT, exp_component ocean: 9 jobs$/m);
  assertMatch(text, /^ +JOBID +FEATURE +VALUE +MEDIAN +METHOD +SCORE +LIMIT$/m);
  assertMatch(
    text,
    /^ +out-planted +duration +3m00s +1m0\ds +modified-zscore +\d/m,
  );
  assertStringIncludes(text, "zscore cannot pass 3 with 9 jobs");

  // The same through the other ways of naming the group.
  const [byTag] = await jsonOf<Group[]>(
    ["outliers", "--tag", "campaign:c1"],
    env,
  );
  assertEquals(flagged(byTag), flagged(g));
  const [one] = await jsonOf<Group[]>(["outliers", "out-planted"], env);
  assertEquals(one.jobs.length, 9);
  assertEquals(flagged(one), flagged(g));
  const [fine] = await jsonOf<Group[]>(["outliers", "out-3"], env);
  assertEquals(fine.outliers, [], "only out-3 is reported on");
  const zOnly = await ok(
    ["outliers", "--exp", "OUT", "--method", "zscore"],
    env,
  );
  assertStringIncludes(
    zOnly.stdout,
    "no outliers in duration, cpu_time, num_procs",
  );

  // Per process tag: the ocean steps of the planted job stand out, the
  // land steps do not.
  const byOp = await jsonOf<Group[]>(
    ["outliers", "--exp", "OUT", "--by", "op"],
    env,
  );
  assertEquals(byOp.map((b) => b.group.op), ["land", "ocean"]);
  assertEquals(byOp[0].outliers, []);
  assertEquals(
    [...new Set(byOp[1].outliers.map((o) => `${o.jobid} ${o.feature}`))],
    ["out-planted cpu_time_us"],
  );
}

async function identicalNone(env: Record<string, string>): Promise<void> {
  const [g] = await jsonOf<Group[]>(["outliers", "--exp", "SAME"], env);
  assertEquals(g.jobs.length, 8);
  assertEquals(g.outliers, []);
  assert(
    g.scores.every((s) =>
      s.zscore === 0 && s.modified_zscore === 0 && s.iqr === 0
    ),
  );
  const text = (await ok([
    "outliers",
    "--exp",
    "SAME",
    "--features",
    "cpu_time,rssmax_peak",
  ], env))
    .stdout;
  assertStringIncludes(text, "no outliers in cpu_time, rssmax_peak");
  // Every experiment at once: both groups, the planted one flagged.
  const all = await jsonOf<Group[]>(["outliers"], env);
  assertEquals(all.map((a) => a.group.exp_name), ["OUT", "SAME"]);
  assertEquals(all[1].outliers, []);
}

async function tooFew(env: Record<string, string>): Promise<void> {
  const r = await epmt(["outliers", "out-0", "out-1", "out-2"], { env });
  assertEquals(r.code, 1);
  assertEquals(
    r.stderr,
    "ERROR:epmt: the 3 jobs named: 3 comparable jobs, at least 4 are needed\n",
  );
  const four = await jsonOf<Group[]>([
    "outliers",
    "out-0",
    "out-1",
    "out-2",
    "out-planted",
  ], env);
  assertEquals(four[0].jobs.length, 4);
  const bad = await epmt(["outliers", "--exp", "OUT", "--features", "nope"], {
    env,
  });
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "unknown feature nope (known: ");
  const none = await epmt(["outliers", "--exp", "NONE"], { env });
  assertEquals(none.code, 1);
  assertStringIncludes(none.stderr, "no jobs of experiment NONE");
  assertEquals(
    (await epmt(["outliers", "--method", "magic"], { env })).code,
    2,
  );
}

Deno.test("outliers among synthetic jobs", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    await makeJobs(dir, env);
    await step.step(
      "a planted outlier among 8 similar jobs",
      () => plantedFound(env),
    );
    await step.step("none among 8 identical jobs", () => identicalNone(env));
    await step.step("fewer than 4 jobs: a clear message", () => tooFew(env));
  });
});

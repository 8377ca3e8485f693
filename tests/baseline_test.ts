/**
 * Reference models, outliers against them, stragglers and root cause on a
 * family of generated jobs with known truth, submitted with the real
 * `epmt submit` into SQLite and PostgreSQL: the planted anomalies (an op
 * blocked on I/O, a straggler MPI rank, a job with 5 times the memory, a
 * thread with 3 times the cpu) and only they are flagged, rca names the
 * planted cause first, clean jobs with ±4 % noise are not flagged. The jobs
 * go in through the epmt program; the analysis commands run in-process
 * (src/cli/mod.ts main, the same code without a Deno start-up each).
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./assert.ts";
import type { Result } from "./helpers.ts";
import { ok as okProcess, withBothDbs } from "./query_helpers.ts";
import { epmtIn } from "./unit/cli.ts";
import { startOf, writeFamily } from "./baseline_jobs.ts";
import { openStore } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import {
  judgeAgainst,
  loadModel,
  newestModelFor,
} from "../src/baseline/mod.ts";

interface Flag {
  jobid: string;
  feature: string;
  value: number;
  median: number;
  score: number | string;
  method: string;
  op?: string;
  exe?: string;
}
interface Cause {
  rank: number;
  feature: string;
  op?: string;
  exe?: string;
  value: number;
  median: number;
  ratio: number;
  score: number;
  wall_share?: number;
}
// deno-lint-ignore no-explicit-any
type Model = Record<string, any>;
interface ProcFlag {
  pid: number;
  tid?: number;
  mpirank?: number;
  feature: string;
  method: string;
}

const JUDGED = [
  "clean",
  "clean",
  "clean",
  "clean",
  "clean",
  "clean",
  "io",
  "straggler",
  "memory",
] as const;
const PLANTED = ["io", "memory", "straggler"];

/** `epmt ARGS` in-process. */
function epmt(
  args: string[],
  opts: { env: Record<string, string> },
): Promise<Result> {
  return epmtIn(args, opts.env);
}

/** `epmt ARGS` in-process; it must succeed. */
async function ok(args: string[], env: Record<string, string>) {
  const r = await epmtIn(args, env);
  assertEquals(r.code, 0, `epmt ${args.join(" ")}: ${r.stderr}`);
  return r;
}

/** `epmt ARGS --json` in-process, parsed. */
async function jsonOf<T = unknown>(
  args: string[],
  env: Record<string, string>,
): Promise<T> {
  return JSON.parse((await ok([...args, "--json"], env)).stdout) as T;
}

function iso(us: number): string {
  return new Date(us / 1000).toISOString();
}

Deno.test("baselines: models, outliers against them, stragglers, root cause", async (t) => {
  await withBothDbs(t, async (env, dir, step) => {
    const fam = await writeFamily(dir, 10, [...JUDGED, "thread"], 1);
    await okProcess(["submit", ...fam.dirs], env);
    const judged = fam.judged.filter((j) => j !== "thread");

    await step.step(
      "refmodel create: selectors, and what it stores",
      async () => {
        const r = await ok([
          "refmodel",
          "create",
          "base",
          "--exp",
          "ESM4/ocean",
          "--before",
          iso(startOf(10)),
        ], env);
        assertMatch(
          r.stdout,
          /^created reference model base from 10 jobs: \d+ job metrics, 3 ops, 4 executables\n$/,
        );
        const m = await jsonOf<Model>([
          "refmodel",
          "show",
          "base",
        ], env);
        assertEquals(m.jobids, fam.train);
        assertEquals(m.exp_name, "ESM4");
        assertEquals(m.exp_component, "ocean");
        assertEquals(m.tags, { campaign: "c1" });
        assertEquals(Object.keys(m.ops).sort(), ["ocean", "post", "prep"]);
        assertEquals(
          Object.keys(m.exes).sort(),
          ["bash", "cp", "ocean_model", "python3"],
        );
        const d = m.job.duration_us;
        for (
          const k of [
            "n",
            "median",
            "mad",
            "q1",
            "q3",
            "mean",
            "std",
            "min",
            "max",
          ]
        ) {
          assert(typeof d[k] === "number", k);
        }
        assertEquals(d.n, 10);
        assert(
          d.min <= d.q1 && d.q1 <= d.median && d.median <= d.q3 &&
            d.q3 <= d.max,
        );
        assert(m.job.rssmax_peak_kib && m.job.delayacct_blkio_time_us);
        assertEquals(m.ops.ocean.num_procs.median, 4);
        // --last N: the newest N matching; --tag and --user narrow.
        const last = await jsonOf<Model>([
          "refmodel",
          "create",
          "last3",
          "--exp",
          "ESM4",
          "--tag",
          "campaign:c1",
          "--user",
          "alice",
          "--before",
          iso(startOf(10)),
          "--last",
          "3",
        ], env);
        assertEquals(last.jobids, ["train-7", "train-8", "train-9"]);
        const dry = await ok([
          "refmodel",
          "create",
          "dry",
          "train-0",
          "train-1",
          "train-2",
          "-n",
        ], env);
        assertStringIncludes(dry.stdout, "would create reference model dry");
        const list = await jsonOf<{ name: string; num_jobs: number }[]>([
          "refmodel",
          "list",
        ], env);
        assertEquals(list.map((x) => [x.name, x.num_jobs]).sort(), [[
          "base",
          10,
        ], ["last3", 3]]);
        const text = (await ok(["refmodel", "show", "base"], env)).stdout;
        assertMatch(text, /\n\s*job\s+duration\s+10\s+\d+\.\d s/);
        assertMatch(text, /op:ocean\s+rssmax_peak\s+10\s+\d+ MiB/);
      },
    );

    await step.step(
      "refmodel: refusals are one line, exit 1, nothing stored",
      async () => {
        const cases: [string[], RegExp][] = [
          [
            ["base", "train-0", "train-1", "train-2"],
            /^epmt: a reference model named base already exists$/,
          ],
          [
            ["two", "train-0", "train-1"],
            /^epmt: 2 training jobs selected; a reference model needs at least 3$/,
          ],
          [
            ["ghost", "train-0", "train-1", "nope"],
            /^epmt: job nope is not in the database/,
          ],
          [
            ["none", "--exp", "NOPE"],
            /^epmt: no jobs match the training selectors$/,
          ],
        ];
        for (const [args, re] of cases) {
          const r = await epmt(["refmodel", "create", ...args], { env });
          assertEquals(r.code, 1, r.stderr);
          const lines = r.stderr.trim().split("\n");
          assertEquals(lines.length, 1, r.stderr);
          assertMatch(lines[0].replace(/^ERROR:epmt: /, "epmt: "), re);
        }
        const list = await jsonOf<{ name: string }[]>(
          ["refmodel", "list"],
          env,
        );
        assertEquals(list.map((x) => x.name).sort(), ["base", "last3"]);
        const r = await epmt(["refmodel", "show", "nope"], { env });
        assertEquals(r.code, 1);
        assertStringIncludes(r.stderr, "no reference model named nope");
      },
    );

    await step.step(
      "outliers --against: exactly the planted jobs, by every method",
      async () => {
        const flags = await jsonOf<Flag[]>([
          "outliers",
          "--against",
          "base",
          ...judged,
        ], env);
        assertEquals([...new Set(flags.map((f) => f.jobid))].sort(), PLANTED);
        for (
          const method of ["zscore", "modified-zscore", "iqr", "mahalanobis"]
        ) {
          const mine = flags.filter((f) => f.method === method);
          assertEquals(
            [...new Set(mine.map((f) => f.jobid))].sort(),
            PLANTED,
            method,
          );
        }
        const has = (jobid: string, feature: string, where: Partial<Flag>) =>
          flags.some((f) =>
            f.jobid === jobid && f.feature === feature &&
            (where.op === undefined || f.op === where.op) &&
            (where.exe === undefined || f.exe === where.exe)
          );
        assert(has("io", "duration_us", { op: "ocean" }));
        assert(has("io", "delayacct_blkio_time_us", { op: "ocean" }));
        assert(has("memory", "rssmax_peak_kib", { exe: "ocean_model" }));
        assert(has("straggler", "cpu_time_us", { op: "ocean" }));
        // The memory job is flagged on memory only.
        assertEquals(
          [
            ...new Set(
              flags.filter((f) => f.jobid === "memory" && f.feature !== "job")
                .map((f) => f.feature),
            ),
          ].sort(),
          ["rssmax_kib", "rssmax_peak_kib"],
        );
        const f = flags.find((x) =>
          x.jobid === "memory" && x.method === "modified-zscore"
        )!;
        assert(f.value > 4 * f.median && Number(f.score) > 3.5);
        const text =
          (await ok(["outliers", "--against", "base", ...judged], env)).stdout;
        assertStringIncludes(text, "clean-0: no outliers");
        assertMatch(
          text,
          /memory: 4 features stand out; robust Mahalanobis distance \d+ \(limit 6\.\d+\)/,
        );
        assertMatch(
          text,
          /op:ocean\s+rssmax_peak\s+2\.\d\d GiB\s+5\d\d MiB\s+5\.\d\dx/,
        );
        // --method and --features narrow.
        const one = await jsonOf<Flag[]>([
          "outliers",
          "--against",
          "base",
          "memory",
          "io",
          "--method",
          "iqr",
          "--features",
          "rssmax_peak",
        ], env);
        assert(
          one.length > 0 &&
            one.every((x) =>
              x.jobid === "memory" && x.method === "iqr" &&
              x.feature === "rssmax_peak_kib"
            ),
        );
        // No job ids: the experiment's jobs the model was not trained on.
        const all = await jsonOf<Flag[]>([
          "outliers",
          "--against",
          "base",
          "--method",
          "modified-zscore",
        ], env);
        assert(PLANTED.every((j) => all.some((x) => x.jobid === j)));
        assert(!all.some((x) => x.jobid.startsWith("clean")));
        const bad = await epmt([
          "outliers",
          "--against",
          "base",
          "io",
          "--features",
          "bogus",
        ], { env });
        assertEquals(bad.code, 1);
        assertStringIncludes(bad.stderr, "unknown feature bogus");
      },
    );

    await step.step("rca names the planted cause first", async () => {
      const io = await jsonOf<Cause[]>(["rca", "io", "--against", "base"], env);
      assertEquals([io[0].op, io[0].feature], [
        "ocean",
        "delayacct_blkio_time_us",
      ]);
      assert(io.every((c, i) => c.rank === i + 1));
      const wall = io.find((c) =>
        c.op === "ocean" && c.feature === "duration_us"
      )!;
      assert(wall.wall_share! > 0.9, String(wall.wall_share));
      const text = (await ok(["rca", "io", "--against", "base"], env)).stdout;
      assertMatch(text, /op ocean explains (9\d|1\d\d)% of it/);
      const mem = await jsonOf<Cause[]>(
        ["rca", "memory", "--against", "base"],
        env,
      );
      assertEquals([mem[0].op, mem[0].feature], ["ocean", "rssmax_peak_kib"]);
      assert(mem[0].ratio > 4.5 && mem[0].ratio < 5.5);
      const slow = await jsonOf<Cause[]>([
        "rca",
        "straggler",
        "--vs",
        fam.train.join(","),
      ], env);
      assertEquals([slow[0].op, slow[0].feature], ["ocean", "duration_us"]);
      // The slow rank is named, not just its op.
      const named = (slow[0] as Cause & { stragglers?: ProcFlag[] }).stragglers;
      assertEquals(named?.map((f) => f.mpirank), [3]);
      assertMatch(
        (await ok(["rca", "straggler", "--against", "base"], env)).stdout,
        /\n {2}in it, pid \d+ \(MPI rank 3\) on node01 ran [12]m\d\ds, its 3 siblings' median [34]\d\.\d s\n/,
      );
      assert(!io.some((c) => "stragglers" in c));
      const clean = await jsonOf<Cause[]>([
        "rca",
        "clean-0",
        "--against",
        "base",
      ], env);
      assert(Math.abs(clean[0].score) < 3.5, JSON.stringify(clean[0]));
      const pca = await jsonOf<{ feature: string; share: number }[]>([
        "rca",
        "memory",
        "--against",
        "base",
        "--pca",
      ], env);
      assert(
        ["rssmax_peak_kib", "rssmax_kib"].includes(pca[0].feature),
        pca[0].feature,
      );
      assert(pca[0].share + pca[1].share > 0.8);
      const pcaIo = await jsonOf<{ feature: string }[]>([
        "rca",
        "io",
        "--against",
        "base",
        "--pca",
      ], env);
      assertEquals(pcaIo[0].feature, "delayacct_blkio_time_us");
      const r = await epmt(["rca", "io", "--vs", "train-0,train-1"], { env });
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "at least 3 are needed");
    });

    await step.step(
      "outliers --procs: the straggler rank and thread, nothing in clean jobs",
      async () => {
        for (const by of ["exe", "op", "mpirank"]) {
          const f = await jsonOf<ProcFlag[]>([
            "outliers",
            "--procs",
            "straggler",
            "--by",
            by,
          ], env);
          assertEquals([...new Set(f.map((x) => x.mpirank))], [3], by);
          assertEquals(
            new Set(f.map((x) => x.feature)),
            new Set(["cpu_time_us", "duration_us"]),
          );
          assert(f.every((x) => typeof x.pid === "number"));
        }
        for (const j of ["clean-0", "clean-1", "io", "memory"]) {
          assertEquals(await jsonOf(["outliers", "--procs", j], env), [], j);
          assertEquals(
            await jsonOf(["outliers", "--procs", j, "--threads"], env),
            [],
            j,
          );
        }
        const th = await jsonOf<ProcFlag[]>([
          "outliers",
          "--procs",
          "thread",
          "--threads",
        ], env);
        assertEquals(
          [...new Set(th.map((x) => `${x.pid}/${x.tid}`))].length,
          1,
        );
        assert(
          th.every((x) =>
            x.tid !== undefined && x.tid !== x.pid &&
            x.feature === "cpu_time_us"
          ),
        );
        const text = (await ok(
          ["outliers", "--procs", "straggler", "--by", "mpirank"],
          env,
        )).stdout;
        assertMatch(text, /mpi:ocean_model\s+4\s+\d+\s+3\s+node01\s+cpu_time/);
        const none = await epmt(["outliers", "--procs", "nope"], { env });
        assertEquals(none.code, 1);
        assertStringIncludes(none.stderr, "job nope is not in the database");
      },
    );

    await step.step(
      "for submit time: newestModelFor and judgeAgainst",
      async () => {
        await ok(
          ["refmodel", "create", "newer", ...fam.train.slice(0, 5)],
          env,
        );
        const store = await openStore(loadSettings(env).settings, {
          create: false,
        });
        try {
          const m = await newestModelFor(store, {
            exp_name: "ESM4",
            exp_component: "ocean",
            tags: { campaign: "c1", extra: "x" },
          });
          assertEquals(m?.name, "newer");
          assertEquals(
            await newestModelFor(store, {
              exp_name: "ESM4",
              exp_component: "atmos",
              tags: { campaign: "c1" },
            }),
            undefined,
          );
          assertEquals(
            await newestModelFor(store, {
              exp_name: "ESM4",
              exp_component: "ocean",
              tags: { campaign: "c2" },
            }),
            undefined,
          );
          const base = await loadModel(store, "base");
          const flags = await judgeAgainst(store, base, ["memory", "clean-0"]);
          assert(flags.length > 0 && flags.every((f) => f.jobid === "memory"));
          assert(
            flags.some((f) =>
              f.feature === "rssmax_peak" && f.op === "ocean" &&
              f.method === "modified-zscore"
            ),
          );
        } finally {
          await store.close();
        }
      },
    );

    await step.step("refmodel delete", async () => {
      const dry = await ok(["refmodel", "delete", "last3", "-n"], env);
      assertStringIncludes(dry.stdout, "would delete reference model last3");
      await ok(["refmodel", "delete", "last3"], env);
      const list = await jsonOf<{ name: string }[]>(["refmodel", "list"], env);
      assertEquals(list.map((x) => x.name).sort(), ["base", "newer"]);
      const r = await epmt(["refmodel", "delete", "last3"], { env });
      assertEquals(r.code, 1);
    });
  });
});

Deno.test("baselines: false-positive rate of each method on a clean family", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    const clean = Array(30).fill("clean");
    const fam = await writeFamily(dir, 10, clean, 7, { exp_name: "CLEAN" });
    await okProcess(["submit", ...fam.dirs], env);
    await ok(["refmodel", "create", "clean", ...fam.train], env);
    const flags = await jsonOf<Flag[]>([
      "outliers",
      "--against",
      "clean",
      ...fam.judged,
    ], env);
    const rates: Record<string, number> = {};
    for (const m of ["zscore", "modified-zscore", "iqr", "mahalanobis"]) {
      rates[m] = new Set(
        flags.filter((f) => f.method === m).map((f) => f.jobid),
      ).size / fam.judged.length;
    }
    console.log(
      `false-positive rates over ${fam.judged.length} clean jobs: ${
        JSON.stringify(rates)
      }`,
    );
    for (const [m, r] of Object.entries(rates)) assert(r <= 0.05, `${m}: ${r}`);
    let stragglers = 0;
    for (const j of fam.judged.slice(0, 10)) {
      stragglers += (await jsonOf<unknown[]>(
        ["outliers", "--procs", j, "--by", "mpirank"],
        env,
      )).length;
    }
    assertEquals(stragglers, 0);
  });
});

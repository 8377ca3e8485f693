/**
 * The analysis stored at submit, on SQLite and PostgreSQL: made by default,
 * skipped with analyze_on_submit off, (re)made by `epmt analyze`, listed by
 * `list --unanalyzed` / `--flagged`, gone with its job; a failing analysis
 * is recorded without failing anything. And the end-of-job summary that
 * `epmt stop` prints with job_summary on, from a really collected job.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { analysisJob, cpuBoundRanks } from "./analysis_jobs.ts";
import { epmt, makeCollector, ROOT } from "./helpers.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { jsonOf, ok, withBothDbs } from "./query_helpers.ts";
import { analyzeAtSubmit } from "../src/analysis/mod.ts";
import { openStore } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";

const S = 1_000_000;
const SLURM4 = { SLURM_CPUS_ON_NODE: "4", SLURM_JOB_NUM_NODES: "1" };

interface Stored {
  analysis: {
    verdict: string | null;
    num_flags: number;
    flags: unknown[];
    model: string | null;
    error: string | null;
  } | null;
}

const listIds = async (args: string[], env: Record<string, string>) =>
  (await jsonOf<{ jobid: string }[]>(["list", ...args], env)).map((j) =>
    j.jobid
  );

Deno.test("analysis at submit: stored, skipped, redone, listed", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok([
      "submit",
      await analysisJob(dir, "a1", cpuBoundRanks(), 10 * S, SLURM4),
    ], env);
    const a1 = await jsonOf<Stored>(["show", "a1"], env);
    assertEquals(a1.analysis?.verdict, "cpu-bound");
    assertEquals([a1.analysis?.error, a1.analysis?.num_flags], [null, 0]);
    assertStringIncludes(
      (await ok(["show", "a1"], env)).stdout,
      "no reference model, no flags",
    );
    // Submit's analysis (from the rows as they were stored) is what a
    // re-analysis from the database finds.
    const atSubmit = await jsonOf<Record<string, unknown>>(["show", "a1"], env);
    await ok(["analyze", "a1"], env);
    const redone = await jsonOf<Record<string, unknown>>(["show", "a1"], env);
    const strip = (j: Record<string, unknown>) => {
      const a = { ...(j.analysis as Record<string, unknown>) };
      delete a.analyzed_us;
      return a;
    };
    assertEquals(strip(atSubmit), strip(redone));

    const off = { ...env, EPMT_ANALYZE_ON_SUBMIT: "0" };
    await ok([
      "submit",
      await analysisJob(dir, "a2", cpuBoundRanks(), 10 * S, SLURM4),
    ], off);
    assertEquals((await jsonOf<Stored>(["show", "a2"], env)).analysis, null);
    assertEquals(await listIds(["--unanalyzed"], env), ["a2"]);
    assertEquals(await listIds(["--flagged"], env), []);

    const redo = await jsonOf<{ jobid: string; verdict: string }[]>(
      ["analyze", "--unanalyzed"],
      env,
    );
    assertEquals(redo.map((r) => [r.jobid, r.verdict]), [["a2", "cpu-bound"]]);
    assertEquals(await listIds(["--unanalyzed"], env), []);
    const all = await ok(["analyze", "--all"], env);
    assertEquals(
      all.stdout.trim().split("\n"),
      [
        "job a1: cpu-bound, no reference model",
        "job a2: cpu-bound, no reference model",
      ],
    );
    const bad = await epmt(["analyze", "--all", "a1"], { env });
    assertEquals(bad.code, 2);
    const missing = await epmt(["analyze", "nosuch"], { env });
    assert(missing.code !== 0);
    assertStringIncludes(missing.stderr, "nosuch is not in the database");

    // A failing analysis is stored as its error; the job stays.
    const settings = loadSettings(env).settings;
    const store = await openStore(settings);
    try {
      const [job] = await store.query("SELECT * FROM jobs WHERE jobid = ?", [
        "a1",
      ]);
      const outcome = await analyzeAtSubmit(store, job, {
        length: 1,
        fill() {
          throw new Error("unreadable process row");
        },
      });
      assertEquals(outcome.error, "unreadable process row");
    } finally {
      await store.close();
    }
    assertEquals(await listIds(["--unanalyzed"], env), ["a1"]);
    assertStringIncludes(
      (await ok(["show", "a1"], env)).stdout,
      ": unreadable process row",
    );
    await ok(["analyze", "a1"], env);
    assertEquals(await listIds(["--unanalyzed"], env), []);

    // Deleting a job deletes its analysis.
    await ok(["delete", "a1"], env);
    const again = await openStore(settings);
    try {
      const [n] = await again.query<{ n: number }>(
        "SELECT count(*) AS n FROM analyses WHERE jobid = ?",
        ["a1"],
      );
      assertEquals(Number(n.n), 0);
    } finally {
      await again.close();
    }
  });
});

/** cpuBoundRanks stretched `k` times: the same job, k times slower. */
function slower(k: number) {
  return cpuBoundRanks().map((p) => ({
    ...p,
    start: p.start * k,
    end: p.end * k,
    cpu: (p.cpu ?? 0) * k,
  }));
}

Deno.test("analysis at submit: flags against the newest reference model", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    // Four known-good jobs of experiment CM4_piControl_C / atmos.
    for (const id of ["t1", "t2", "t3", "t4"]) {
      await ok([
        "submit",
        await analysisJob(dir, id, cpuBoundRanks(), 10 * S, SLURM4),
      ], env);
    }
    // Before any model: analysed, nothing flagged.
    assertEquals(await listIds(["--flagged"], env), []);
    await ok(["refmodel", "create", "good", "t1", "t2", "t3", "t4"], env);
    // A clean job and one four times as slow, submitted after the model.
    await ok([
      "submit",
      await analysisJob(dir, "clean", cpuBoundRanks(), 10 * S, SLURM4),
    ], env);
    await ok([
      "submit",
      await analysisJob(dir, "slow", slower(4), 40 * S, SLURM4),
    ], env);
    assertEquals(await listIds(["--flagged"], env), ["slow"]);
    const slow = await jsonOf<Stored>(["show", "slow"], env);
    assertEquals(slow.analysis?.model, "good");
    assert(slow.analysis!.num_flags > 0);
    assert(
      slow.analysis!.flags.some((f) =>
        (f as { feature: string }).feature.startsWith("duration")
      ),
      JSON.stringify(slow.analysis!.flags),
    );
    const clean = await jsonOf<Stored>(["show", "clean"], env);
    assertEquals([clean.analysis?.model, clean.analysis?.num_flags], [
      "good",
      0,
    ]);
    assertStringIncludes(
      (await ok(["show", "slow"], env)).stdout,
      "against model good",
    );
    // Jobs submitted before the model are judged by epmt analyze.
    const redo = await ok(["analyze", "t1"], env);
    assertEquals(
      redo.stdout.trim(),
      "job t1: cpu-bound, 0 flags against model good",
    );
  });
});

Deno.test("job summary: epmt stop prints wall, cpu, efficiency, top step, verdict", async () => {
  await makeCollector();
  const box = await jobBox();
  try {
    const env = {
      ...slurm("5151"),
      SLURM_CPUS_ON_NODE: "8",
      SLURM_JOB_NUM_NODES: "1",
      EPMT_INSTALL_PREFIX: ROOT,
    };
    await box.epmt(["start"], env);
    const run = await box.epmt(
      ["run", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"],
      env,
    );
    assertEquals(run.code, 0, run.stderr);
    const quiet = await box.epmt(["stop", "-n"], {
      ...env,
      EPMT_JOB_SUMMARY: "1",
    });
    assert(!quiet.stderr.includes("epmt: verdict"), quiet.stderr);
    const stop = await box.epmt(["stop"], { ...env, EPMT_JOB_SUMMARY: "1" });
    assertEquals(stop.code, 0, stop.stderr);
    const lines = stop.stderr.split("\n").filter((l) => l.startsWith("epmt: "));
    assertEquals(lines.length, 4, stop.stderr);
    assert(
      /^epmt: job 5151: wall \S+ \S+, cpu \S+ \S+ \(/.test(lines[0]),
      lines[0],
    );
    assertStringIncludes(lines[1], "efficiency: cpu ");
    assertStringIncludes(lines[1], "of 8 cores, memory not requested");
    assert(lines[2].startsWith("epmt: top step: "), lines[2]);
    assertStringIncludes(lines[2], "sh -c i=0;");
    assertStringIncludes(lines[3], "verdict: underused: used ");
    // Off by default.
    await box.epmt(["start"], slurm("5152"));
    const plain = await box.epmt(["stop"], slurm("5152"));
    assertEquals(plain.stderr.includes("epmt: verdict"), false);
  } finally {
    await box.remove();
  }
});

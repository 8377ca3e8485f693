/**
 * The whole path a user takes: our collector preloaded by `epmt -a run`,
 * in each of its output forms, then the real `epmt submit` and `epmt
 * export`. Each part has its own tests; these check that what the
 * collector writes is what submit reads, including an event this machine
 * may not be able to count.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { makeCollector, ROOT } from "./helpers.ts";
import { jobBox, listDir, logLines, slurm } from "./job_helpers.ts";

const THREADS = join(ROOT, "native", "build", "threads");
const EVENTS = "PERF_COUNT_SW_CPU_CLOCK,PERF_COUNT_HW_INSTRUCTIONS";

interface Proc {
  exename: string;
  numtids: number;
  depth: number;
  parent: number | null;
  cpu_time: number;
  extra_metrics: string | Record<string, number> | null;
  threads: string | unknown[][] | null;
}

function json<T>(v: string | T): T {
  return typeof v === "string" ? JSON.parse(v) : v;
}

Deno.test("collector output in every form submits and exports whole", async (t) => {
  await makeCollector();
  const box = await jobBox();
  const forms: [string, string, RegExp][] = [
    ["per-process CSV", EVENTS, /^vm|-papiex-\d+-\d+\.csv$/],
    ["COLLATED_CSV", `${EVENTS},COLLATED_CSV`, /-collated-papiex-.*\.csv$/],
    ["COLLATED_TSV", `${EVENTS},COLLATED_TSV`, /-papiex(-header)?\.tsv$/],
  ];
  let jobid = 700;
  for (const [form, options, files] of forms) {
    await t.step(form, async () => {
      const id = String(jobid++);
      const env = {
        ...slurm(id),
        EPMT_INSTALL_PREFIX: ROOT,
        EPMT_PAPIEX_OPTIONS: options,
      };
      // bash runs a pipeline and a program with 3 busy threads.
      const run = await box.epmt([
        "-a",
        "run",
        "bash",
        "-c",
        `echo a,b | tr a-z A-Z >/dev/null; ${THREADS} 3 join 2000000; true`,
      ], env);
      assertEquals([run.code, logLines(run.stderr)], [0, []]);
      const jobdir = join(box.out, "Foo.Bar", id);
      const written = listDir(jobdir).filter((f) => files.test(f));
      assert(written.length > 0, `${form}: files ${listDir(jobdir)}`);

      const submit = await box.epmt(["submit", jobdir], env);
      assertEquals(submit.code, 0, submit.stderr);
      const exp = await box.epmt(
        ["export", id, "--what", "procs", "--format", "json"],
        env,
      );
      assertEquals(exp.code, 0, exp.stderr);
      const procs: Proc[] = JSON.parse(exp.stdout);
      // bash forks a copy of itself for the builtin echo in the pipeline.
      const names = new Set(procs.map((p) => p.exename.split("/").pop()));
      assertEquals([...names].sort(), ["bash", "threads", "tr"]);

      const bash = procs.find((p) => p.exename.endsWith("bash") && !p.parent)!;
      const threads = procs.find((p) => p.exename.endsWith("threads"))!;
      assertEquals(bash.depth, 0);
      assertEquals(threads.depth, 1);
      assertEquals(threads.numtids, 4);
      assert(threads.cpu_time > 0, "the busy threads used CPU");
      if (form !== "COLLATED_TSV") {
        // The TSV form has one line per process, no thread rows.
        assertEquals(json<unknown[][]>(threads.threads!).length, 4);
      }
      for (const p of procs) {
        const extra = json<Record<string, number>>(p.extra_metrics ?? "{}");
        assert(extra.PERF_COUNT_SW_CPU_CLOCK > 0, `${p.exename}: cpu clock`);
        // Counted (> 0) where the machine can, absent where it cannot.
        const hw = extra.PERF_COUNT_HW_INSTRUCTIONS;
        assert(hw === undefined || hw > 0, `${p.exename}: instructions ${hw}`);
      }
    });
  }
  await box.remove();
});

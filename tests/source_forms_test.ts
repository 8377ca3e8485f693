/**
 * `epmt source` in each shell form, with values that word splitting would
 * break: a papiex_output with a space, a PBS array job id with brackets.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { jobBox, LAUNCHER, listDir } from "./job_helpers.ts";
import { ROOT } from "./helpers.ts";

const COLLECTOR = join(ROOT, "native", "libepmt.so");

Deno.test("source: values export $(epmt source) cannot carry", async (t) => {
  const box = await jobBox();
  const spaced = join(box.dir, "out dir") + "/";
  const env = {
    EPMT_PAPIEX_OUTPUT: spaced,
    EPMT_INSTALL_PREFIX: ROOT,
    PBS_JOBID: "1234[5].pbs01",
    PBS_JOBNAME: "arr",
    PBS_O_LOGNAME: "Foo.Bar",
  };
  const jobdir = `${spaced}Foo.Bar/1234[5].pbs01/`;
  await t.step("the word-list form refuses them, naming eval", async () => {
    assertEquals((await box.epmt(["start"], env)).code, 0);
    const r = await box.epmt(["source"], env);
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "");
    assertEquals(
      r.stderr,
      `ERROR:epmt: PAPIEX_OUTPUT=${jobdir} holds a space and [, which export $(epmt source) would split or expand: use eval "$(epmt source --shell bash)"\n`,
    );
  });
  await t.step("--shell bash prints export lines for eval", async () => {
    const r = await box.epmt(["source", "--shell", "bash"], env);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      [
        "export PAPIEX_OPTIONS=PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV;",
        `export PAPIEX_OUTPUT='${jobdir}';`,
        `export LD_PRELOAD=${COLLECTOR};`,
        "",
      ].join("\n"),
    );
  });
  await t.step("eval collects into the job, in bash and in sh", async () => {
    for (const shell of ["bash", "sh"]) {
      const script = `set -e
eval "$("${LAUNCHER}" source --shell ${shell})"
/bin/true
unset LD_PRELOAD`;
      const r = await box.run(shell, ["-c", script], env);
      assertEquals(r.code, 0, r.stderr);
    }
    const files = listDir(jobdir).filter((f) => f.endsWith(".csv"));
    assertEquals(files.length, 1, listDir(jobdir).join(" "));
    const csv = await Deno.readTextFile(join(jobdir, files[0]));
    assertEquals(
      csv.split("\n").filter((l) => l.includes(",/bin/true,")).length,
      2,
    );
  });
  await box.remove();
});

Deno.test("source: the word-list form prints plain values bare", async () => {
  const box = await jobBox();
  const env = {
    EPMT_INSTALL_PREFIX: ROOT,
    SLURM_JOB_ID: "4711",
    SLURM_JOB_NAME: "plain",
    SLURM_JOB_USER: "Foo.Bar",
    // An existing preload list with a space: merged with ":" separators.
    LD_PRELOAD: "/lib/a.so /lib/b.so",
  };
  assertEquals((await box.epmt(["start"], env)).code, 0);
  const r = await box.epmt(["source"], env);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stdout,
    `PAPIEX_OPTIONS=PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV PAPIEX_OUTPUT=${box.out}Foo.Bar/4711/ LD_PRELOAD=${COLLECTOR}:/lib/a.so:/lib/b.so\n`,
  );
  const help = await box.epmt(["source", "-h"]);
  assertStringIncludes(help.stdout, `eval "$(epmt source --shell bash)"`);
  assert(!r.stdout.includes("'"));
  await box.remove();
});

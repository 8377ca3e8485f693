/**
 * `epmt source --slurm`, what epmt reads from `scontrol show job` and from
 * an Epilog's SLURM_JOB_EXIT_CODE2: no cluster needed.
 */
import { assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { join } from "node:path";
import { jobBox, logLines, metadataOf, slurm } from "./job_helpers.ts";
import { parseSlurmJobRecord, slurmExitStatus } from "../src/job/slurm.ts";

const LIBM = "/lib/x86_64-linux-gnu/libm.so.6";

Deno.test("source --slurm prints export lines a TaskProlog hands to SLURM", async (t) => {
  const box = await jobBox();
  const prefix = join(box.dir, "prefix");
  await Deno.mkdir(join(prefix, "lib"), { recursive: true });
  await Deno.writeFile(join(prefix, "lib", "libepmt.so"), new Uint8Array());
  const env = { ...slurm("77"), EPMT_INSTALL_PREFIX: prefix };
  const jobdir = join(box.out, "Foo.Bar", "77") + "/";
  try {
    await t.step("not started: nothing on stdout, one warning", async () => {
      const r = await box.epmt(["source", "--slurm"], env);
      assertEquals([r.code, r.stdout], [0, ""]);
      assertEquals(logLines(r.stderr), [
        `WARNING:epmt: no started job for job id 77 (${jobdir}): nothing to export`,
      ]);
    });
    await t.step("started: values unquoted, LD_PRELOAD kept", async () => {
      assertEquals((await box.epmt(["start"], env)).code, 0);
      const r = await box.epmt(["source", "--slurm"], {
        ...env,
        // A real library, as epmt itself starts with it preloaded.
        LD_PRELOAD: LIBM,
        EPMT_PAPIEX_OPTIONS: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
      });
      assertEquals([r.code, r.stderr], [0, ""]);
      assertEquals(
        r.stdout,
        "export PAPIEX_OPTIONS=PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV\n" +
          `export PAPIEX_OUTPUT=${jobdir}\n` +
          `export LD_PRELOAD=${prefix}/lib/libepmt.so:${LIBM}\n`,
      );
    });
    await t.step("a value with a line break is left out", async () => {
      const r = await box.epmt(["source", "--slurm"], {
        ...env,
        EPMT_PAPIEX_OPTIONS: "A\nB",
      });
      assertEquals(r.code, 0);
      assertEquals(r.stdout.includes("PAPIEX_OPTIONS"), false, r.stdout);
      assertStringIncludes(r.stdout, `export PAPIEX_OUTPUT=${jobdir}\n`);
      assertMatch(r.stderr, /PAPIEX_OPTIONS holds a line break/);
    });
    await t.step("--slurm with another argument is a usage error", async () => {
      const r = await box.epmt(["source", "--slurm", "--shell", "csh"], env);
      assertEquals(r.code, 2);
      assertStringIncludes(r.stderr, "--slurm takes no other arguments");
    });
  } finally {
    await box.remove();
  }
});

Deno.test("stop takes SLURM's exit code in an Epilog when no run failed", async () => {
  const box = await jobBox();
  try {
    const cases: [string, Record<string, string>, number][] = [
      ["78", { SLURM_JOB_EXIT_CODE2: "3:0" }, 3],
      ["79", { SLURM_JOB_EXIT_CODE2: "0:9" }, 137],
      ["80", {}, 0],
    ];
    for (const [id, extra, status] of cases) {
      assertEquals((await box.epmt(["start"], slurm(id))).code, 0);
      const stop = await box.epmt(["stop"], { ...slurm(id), ...extra });
      assertEquals(stop.code, 0, stop.stderr);
      const m = await metadataOf(join(box.out, "Foo.Bar", id));
      assertEquals(m.job_el_status, status, JSON.stringify(extra));
    }
    // A failed epmt run still decides, as without SLURM's code.
    const env = slurm("81");
    await box.epmt(["start"], env);
    await box.epmt(["run", "sh", "-c", "exit 5"], env);
    await box.epmt(["stop"], { ...env, SLURM_JOB_EXIT_CODE2: "1:0" });
    const m = await metadataOf(join(box.out, "Foo.Bar", "81"));
    assertEquals(m.job_el_status, 5);
  } finally {
    await box.remove();
  }
});

Deno.test("parseSlurmJobRecord() reads the name and the submitted script", async (t) => {
  const line = (fields: string) =>
    `JobId=12 JobName=my job UserId=root(0) GroupId=root(0) ${fields} ` +
    `WorkDir=/home/u StdErr=/home/u/slurm-12.out\n`;
  const cases: [string, string, string, Record<string, string>][] = [
    [
      "a batch job",
      "12",
      line("BatchFlag=1 Command=/home/u/run.sh"),
      { name: "my job", script: "/home/u/run.sh" },
    ],
    [
      "arguments after the script are dropped",
      "12",
      line("BatchFlag=1 Command=/nonexistent/run.sh 1 2"),
      { name: "my job", script: "/nonexistent/run.sh" },
    ],
    [
      "an interactive job has no script",
      "12",
      line("BatchFlag=0 Command=/bin/bash"),
      { name: "my job" },
    ],
    [
      "sbatch --wrap",
      "12",
      line("BatchFlag=1 Command=(null)"),
      { name: "my job" },
    ],
    ["another job's line", "13", line("BatchFlag=1 Command=/x.sh"), {}],
    ["scontrol's error text", "12", "slurm_load_jobs error: Invalid", {}],
  ];
  for (const [what, id, text, expected] of cases) {
    await t.step(what, () => {
      assertEquals({ ...parseSlurmJobRecord(text, id) }, expected);
    });
  }
});

Deno.test("slurmExitStatus() turns SLURM_JOB_EXIT_CODE2 into a shell status", () => {
  assertEquals(slurmExitStatus({ SLURM_JOB_EXIT_CODE2: "0:0" }), 0);
  assertEquals(slurmExitStatus({ SLURM_JOB_EXIT_CODE2: "42:0" }), 42);
  assertEquals(slurmExitStatus({ SLURM_JOB_EXIT_CODE2: "0:15" }), 143);
  assertEquals(slurmExitStatus({ SLURM_JOB_EXIT_CODE2: "junk" }), undefined);
  assertEquals(slurmExitStatus({}), undefined);
});

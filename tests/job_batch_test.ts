import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "./assert.ts";
import { UserError } from "../src/errors.ts";
import { currentJob, detectJob, jobDir } from "../src/job/batch.ts";
import { sessionAnchor, sessionId } from "../src/job/system.ts";

Deno.test("detectJob() reads each batch system's variables", async (t) => {
  const cases: [string, Record<string, string>, string[]][] = [
    ["SLURM", {
      SLURM_JOB_ID: "101",
      SLURM_JOBID: "999",
      SLURM_JOB_NAME: "ESM4_hist_atmos_1854",
      SLURM_JOB_USER: "Foo.Bar",
    }, ["slurm", "101", "ESM4_hist_atmos_1854", "Foo.Bar"]],
    ["SLURM, old SLURM_JOBID only", {
      SLURM_JOBID: "102",
      SLURM_JOB_NAME: "n",
      SLURM_JOB_USER: "u",
    }, ["slurm", "102", "n", "u"]],
    ["PBS/Torque", {
      PBS_JOBID: "20345339.moab01",
      PBS_JOBNAME: "CM4_piControl_C_atmos_00050101",
      PBS_O_LOGNAME: "Foo.Bar",
    }, ["pbs", "20345339.moab01", "CM4_piControl_C_atmos_00050101", "Foo.Bar"]],
    ["PBS Pro PBS_JOB_ID", {
      PBS_JOB_ID: "7.server",
      PBS_JOBNAME: "j",
      PBS_O_LOGNAME: "u",
    }, ["pbs", "7.server", "j", "u"]],
    ["LSF", { LSB_JOBID: "55", LSB_JOBNAME: "lsfjob", LSFUSER: "lu" }, [
      "lsf",
      "55",
      "lsfjob",
      "lu",
    ]],
  ];
  for (const [name, env, [batch, id, jobname, user]] of cases) {
    await t.step(name, async () => {
      const job = await detectJob(env);
      assertEquals(
        [job.batch, job.id, job.name, job.user],
        [batch, id, jobname, user],
      );
      assertEquals(job.warnings, []);
      assert(job.fromBatch.length === 3, job.fromBatch.join());
      assert(job.scriptname.length > 0);
    });
  }
  await t.step(
    "SLURM without a name or user fills them in, with warnings",
    async () => {
      const job = await detectJob({ SLURM_JOB_ID: "103" });
      assertEquals([job.id, job.name], ["103", "103"]);
      assertEquals(
        job.warnings[0],
        "JOB_NAME unset: Using job id 103 as JOB_NAME",
      );
      assertMatch(
        job.warnings[1],
        /^JOB_USER unset: Using username \S+ as JOB_USER$/,
      );
      assertEquals(job.fromBatch, ["SLURM_JOB_ID"]);
    },
  );
});

Deno.test("detectJob() outside a batch system fakes and bakes from the session id", async () => {
  const job = await detectJob({ PATH: "/bin" });
  const session = sessionAnchor();
  const sid = String(session.id);
  assertEquals(job.batch, null);
  assertEquals(job.id, sid);
  assertEquals(job.name, sid);
  assertEquals(job.fromBatch, []);
  assertEquals(job.warnings.length, 4);
  assertEquals(
    job.warnings[0],
    session.leader
      ? `JOB_ID unset: Using session id ${sid} as JOB_ID`
      : `JOB_ID unset: Using pid ${sid}, the first process of this session ` +
        `in our PID namespace (its leader is outside), as JOB_ID`,
  );
  assertEquals(
    job.warnings[1],
    `JOB_NAME unset: Using job id ${sid} as JOB_NAME`,
  );
  assertMatch(
    job.warnings[2],
    /^JOB_SCRIPTNAME unset: Using (process name|parent script) .+ as JOB_SCRIPTNAME$/,
  );
  assertEquals(
    job.warnings[3],
    `JOB_USER unset: Using username ${job.user} as JOB_USER`,
  );
});

Deno.test("sessionId() matches /proc/self/stat's session field", () => {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  assertEquals(sessionId(), Number(fields[3]));
});

Deno.test("sessionAnchor() is the session id, or the top visible ancestor when it is 0", () => {
  const anchor = sessionAnchor();
  const sid = sessionId();
  if (sid > 0) {
    assertEquals(anchor, { id: sid, leader: true });
    return;
  }
  assertEquals(anchor.leader, false);
  const stat = Deno.readTextFileSync(`/proc/${anchor.id}/stat`);
  const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
  assertEquals(ppid, "0", `pid ${anchor.id} has a visible parent`);
});

Deno.test("jobDir() is <papiex_output>/<user>/<jobid>/ and refuses escapes", async () => {
  const settings = { papiex_output: "/tmp/epmt/" };
  assertEquals(
    jobDir(settings, { id: "20345339.moab01", user: "Foo.Bar" }),
    "/tmp/epmt/Foo.Bar/20345339.moab01/",
  );
  assertEquals(
    jobDir({ papiex_output: "/scratch/out" }, { id: "7[3]", user: "me" }),
    "/scratch/out/me/7[3]/",
  );
  for (
    const bad of [
      { id: "../etc", user: "me" },
      { id: "..", user: "me" },
      { id: "", user: "me" },
      { id: "1", user: "a/b" },
    ]
  ) {
    assertThrows(
      () => jobDir(settings, bad),
      UserError,
      "cannot name a directory",
    );
  }
  const { job, dir } = await currentJob(settings, {
    SLURM_JOB_ID: "9",
    SLURM_JOB_USER: "u",
    SLURM_JOB_NAME: "n",
  });
  assertEquals([job.id, dir], ["9", "/tmp/epmt/u/9/"]);
  await assertRejects(
    () => currentJob(settings, { SLURM_JOB_ID: "../x", SLURM_JOB_USER: "u" }),
    UserError,
  );
});

Deno.test("detectJob({ scriptname: false }) skips the parent lookup", async () => {
  const job = await detectJob({ PATH: "/bin" }, { scriptname: false });
  assertEquals(job.scriptname, job.name);
  assertEquals(job.warnings.length, 3);
  assert(!job.warnings.some((w) => w.startsWith("JOB_SCRIPTNAME")));
});

/**
 * dump, stage and submit with no argument use the current job; where there
 * is none (a new shell has a new session id) they say so and name a job
 * that is there, instead of "no such file or directory".
 */
import { assertEquals } from "./assert.ts";
import { jobBox, LAUNCHER, listDir, slurm } from "./job_helpers.ts";

Deno.test("dump, stage and submit without a current job name one that is there", async (t) => {
  const box = await jobBox();
  assertEquals((await box.epmt(["-a", "run", "true"], slurm("990"))).code, 0);
  const there = `${box.out}Foo.Bar/`;
  await t.step("in a batch job", async () => {
    for (const command of ["dump", "stage", "submit"]) {
      const r = await box.epmt([command], slurm("991"));
      assertEquals(r.code, 1, command);
      assertEquals(
        r.stderr.split("\n").filter((l) => l.startsWith("ERROR"))[0],
        `ERROR:epmt: no job 991 in ${there} (it was not started, or was staged): name a job directory or archive, e.g. ${there}990`,
        command,
      );
    }
  });
  await t.step("outside a batch system", async () => {
    // Each setsid is a new session, so a new job id.
    const inSession = (script: string) =>
      box.run("setsid", ["-w", "sh", "-c", script], { EPMT: LAUNCHER });
    assertEquals((await inSession(`"$EPMT" -a run true`)).code, 0);
    const first = listDir(`${box.out}root`);
    assertEquals(first.length, 1);
    const r = await inSession(`"$EPMT" dump`);
    assertEquals(r.code, 1);
    const line = r.stderr.split("\n").find((l) => l.startsWith("ERROR"));
    const id = /no job (\d+) in/.exec(line ?? "")?.[1];
    assertEquals(
      line,
      `ERROR:epmt: no job ${id} in ${box.out}root/ (${id} is this shell's session id: no batch job id is set): name a job directory or archive, e.g. ${box.out}root/${
        first[0]
      }`,
    );
  });
  await box.remove();
});

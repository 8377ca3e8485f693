/**
 * `epmt submit FOLDER` where FOLDER is not a job but holds jobs (staged
 * archives, job directories), as a site's incoming folder does: each is
 * submitted, without a shell glob that a large folder would overflow.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { jobFromFixture } from "./submit_jobs.ts";

Deno.test("submit of a folder of jobs submits each one", async (t) => {
  const box = await jobBox();
  const incoming = join(box.dir, "incoming");
  await Deno.mkdir(incoming);
  for (const id of ["980", "981"]) {
    assertEquals((await box.epmt(["-a", "run", "true"], slurm(id))).code, 0);
    const staged = await box.epmt(["stage"], {
      ...slurm(id),
      EPMT_STAGE_DEST: incoming,
    });
    assertEquals(staged.code, 0, staged.stderr);
  }
  await jobFromFixture(incoming, "982", "single");
  await Deno.writeTextFile(join(incoming, "README"), "not a job\n");
  await t.step("each job in it, in name order", async () => {
    const r = await box.epmt(["submit", incoming]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").filter(Boolean), [
      `loaded job 980 (0 processes, 0 threads) from ${incoming}/980.tgz`,
      `loaded job 981 (0 processes, 0 threads) from ${incoming}/981.tgz`,
      `loaded job 982 (1 process, 1 thread) from ${incoming}/982`,
      "loaded 3 of 3 jobs",
    ]);
  });
  await t.step(
    "a job directory without job_metadata is still an error",
    async () => {
      const lost = join(box.dir, "lost");
      await Deno.mkdir(lost);
      await Deno.writeTextFile(join(lost, "vm-papiex-1-0.csv"), "x\n");
      const r = await box.epmt(["submit", lost]);
      assertEquals(r.code, 1);
      assertEquals(
        r.stdout,
        `FAILED ${lost}: ${lost}/job_metadata is missing: not an epmt job directory?\n`,
      );
    },
  );
  await box.remove();
});

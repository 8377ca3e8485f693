/** Messages that say what is so: singular counts, a stopped job. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { jobFromFixture } from "./submit_jobs.ts";

Deno.test("show says 1 thread, not 1 threads", async () => {
  const box = await jobBox();
  const job = await jobFromFixture(box.dir, "950", "single");
  assertEquals((await box.epmt(["submit", job])).code, 0);
  const r = await box.epmt(["show", "950"]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "Processes:         1 (1 thread)\n");
  await box.remove();
});

Deno.test("source after stop says the job is stopped, not unstarted", async () => {
  const box = await jobBox();
  const env = slurm("951");
  assertEquals((await box.epmt(["start"], env)).code, 0);
  assertEquals((await box.epmt(["stop"], env)).code, 0);
  const r = await box.epmt(["source"], env);
  assertStringIncludes(
    r.stderr,
    `WARNING:epmt: job 951 is already stopped (${box.out}Foo.Bar/951/job_metadata exists): what runs now is not part of it\n`,
  );
  await box.remove();
});

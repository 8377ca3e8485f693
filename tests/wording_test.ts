/** Messages that say what is so: singular counts, a stopped job. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { jobBox } from "./job_helpers.ts";
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

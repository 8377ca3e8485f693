/**
 * papiex_output is shared by every user of a node: whichever command makes
 * it first (check, run as root by an admin, or a user's start) makes it
 * open to all and sticky, like /tmp.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { jobBox, slurm } from "./job_helpers.ts";

Deno.test("check and start both make a missing papiex_output 1777", async (t) => {
  const box = await jobBox();
  for (const command of ["check", "start"]) {
    await t.step(command, async () => {
      // Its parent is missing too, as on a fresh scratch file system.
      const out = join(box.dir, command, "epmt") + "/";
      await box.epmt([command], { ...slurm("970"), EPMT_PAPIEX_OUTPUT: out });
      assertEquals((await Deno.stat(out)).mode! & 0o7777, 0o1777);
    });
  }
  await box.remove();
});

/**
 * An installation whose path holds a space: LD_PRELOAD splits its list at
 * spaces and colons, so the collector cannot be preloaded from there. run
 * says so once and runs the program untouched (no loader error in its
 * output); check names the cause and the fix.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { jobBox, logLines, slurm } from "./job_helpers.ts";
import { ROOT } from "./helpers.ts";

Deno.test("a collector under a path with a space is not preloaded, and says why", async (t) => {
  const box = await jobBox();
  const prefix = join(box.dir, "my opt");
  await Deno.mkdir(join(prefix, "lib"), { recursive: true });
  const lib = join(prefix, "lib", "libepmt.so");
  await Deno.copyFile(join(ROOT, "native", "libepmt.so"), lib);
  const env = { ...slurm("800"), EPMT_INSTALL_PREFIX: prefix };
  const why =
    `collector ${lib} cannot be preloaded: LD_PRELOAD splits its list at spaces and colons`;
  await t.step("run: the program runs untouched, one warning", async () => {
    const r = await box.epmt(["-a", "run", "/bin/echo", "hi"], env);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "hi\n");
    assert(!r.stderr.includes("ld.so"), r.stderr);
    assertEquals(logLines(r.stderr), [
      `WARNING:epmt: ${why}; running without collection`,
    ]);
  });
  await t.step("source: no LD_PRELOAD, the same warning", async () => {
    const r = await box.epmt(["source", "--shell", "bash"], {
      ...env,
      ...slurm("801"),
    });
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("LD_PRELOAD"), r.stdout);
    assertStringIncludes(r.stderr, why);
  });
  await t.step("check: FAIL with the cause and the fix", async () => {
    const r = await box.epmt(["check"], env);
    assertEquals(r.code, 1);
    const line = r.stdout.split("\n").find((l) => / collector /.test(l));
    assertEquals(
      line,
      `FAIL  collector            ${why}; fix: install epmt where its path has no space or colon, or set install_prefix (EPMT_INSTALL_PREFIX) to such a folder holding lib/libepmt.so`,
    );
  });
  await box.remove();
});

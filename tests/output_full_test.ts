/**
 * Output that cannot be written (a full disk, a file size limit) is one
 * error line naming where it was going, not an internal error; nothing is
 * left half-written.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { jobBox, LAUNCHER } from "./job_helpers.ts";
import { jobFromFixture } from "./submit_jobs.ts";

Deno.test("output to a full disk or over a size limit is one clear error", async (t) => {
  const box = await jobBox();
  const job = await jobFromFixture(box.dir, "700", "tree");
  const sh = (script: string) =>
    box.run("sh", ["-c", script], { EPMT: LAUNCHER, JOB: job });
  assertEquals((await sh(`"$EPMT" submit "$JOB" >/dev/null`)).code, 0);
  const full = "no space left on device";
  const cases: [string, string, string][] = [
    ["list", `"$EPMT" list`, "standard output"],
    ["export", `"$EPMT" export 700 --what procs`, "standard output"],
    ["dump", `"$EPMT" dump "$JOB"`, "standard output"],
    ["help", `"$EPMT" help`, "standard output"],
    ["submit -n", `"$EPMT" -n submit "$JOB"`, "standard output"],
  ];
  for (const [name, command, where] of cases) {
    await t.step(`${name} > /dev/full`, async () => {
      const r = await sh(`${command} >/dev/full`);
      assertEquals(
        [r.code, r.stderr],
        [1, `ERROR:epmt: cannot write ${where}: ${full}\n`],
      );
    });
  }
  await t.step("export -o FILE over the file size limit", async () => {
    const out = join(box.dir, "procs.json");
    // SIGXFSZ ignored: the write fails with EFBIG instead of killing.
    const r = await sh(
      `trap '' XFSZ; ulimit -f 2; "$EPMT" export 700 --what threads -o "${out}"`,
    );
    assertEquals(
      [r.code, r.stderr],
      [1, `ERROR:epmt: cannot write ${out}: file too large\n`],
    );
    const left = [...Deno.readDirSync(box.dir)].map((e) => e.name);
    assertEquals(left.filter((n) => n.startsWith("procs.json")), []);
  });
  await box.remove();
});

/**
 * Commands that only read or change stored jobs never create a SQLite
 * database: a mistyped EPMT_DB_FILENAME, or another node's HOME, is named
 * as missing instead of answering "no jobs" from a new empty file.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { epmt, exists, sandbox } from "./helpers.ts";
import { jobFromFixture } from "./submit_jobs.ts";

Deno.test("query commands name a missing SQLite database and create nothing", async (t) => {
  const box = await sandbox();
  const db = join(box.dir, "nowhere", "epmt.db");
  const env = { ...box.env, EPMT_DB_FILENAME: db };
  const line =
    `ERROR:epmt: no SQLite database at ${db}: no job has been submitted to it (epmt submit creates it)\n`;
  for (
    const args of [
      ["list"],
      ["list", "procs", "1"],
      ["show", "1"],
      ["export", "1"],
      ["compare", "1", "2"],
      ["outliers", "1", "2", "3", "4"],
      ["annotate", "1", "a=b"],
      ["delete", "1"],
    ]
  ) {
    await t.step(args.join(" "), async () => {
      const r = await epmt(args, { env });
      assertEquals([r.code, r.stderr, r.stdout], [1, line, ""]);
      assertEquals(await exists(join(box.dir, "nowhere")), false);
    });
  }
  await t.step("submit creates it", async () => {
    const job = await jobFromFixture(box.dir, "1", "single");
    const r = await epmt(["submit", job], { env });
    assertEquals(r.code, 0, r.stderr);
    const list = await epmt(["list", "--csv"], { env });
    assertEquals(list.code, 0, list.stderr);
    assertEquals(list.stdout.split("\n")[1].split(",")[0], "1");
  });
  await Deno.remove(box.dir, { recursive: true });
});

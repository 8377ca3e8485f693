/**
 * papiex_output must be absolute: a job script that changes directory
 * between start, run and stop would otherwise look for its job somewhere
 * else at each step.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { epmt, jobBox, slurm } from "./job_helpers.ts";

Deno.test("a relative papiex_output is refused, naming where it was set", async (t) => {
  const box = await jobBox();
  const { EPMT_PAPIEX_OUTPUT: _, ...base } = box.env;
  const run = (args: string[], extra: Record<string, string>) =>
    epmt(args, {
      env: { ...base, ...slurm("960"), ...extra },
      clearEnv: true,
      cwd: box.dir,
    });
  const refused = (where: string, value: string) =>
    `ERROR:epmt: ${where}: key papiex_output: expected an absolute path (or one starting with ~/), got ${
      JSON.stringify(value)
    }\n`;
  await t.step("from the environment", async () => {
    const r = await run(["start"], { EPMT_PAPIEX_OUTPUT: "rel/" });
    assertEquals(
      [r.code, r.stderr],
      [1, refused("environment variable EPMT_PAPIEX_OUTPUT", "rel/")],
    );
  });
  const file = join(box.dir, "settings.json");
  await t.step("from a settings file", async () => {
    await Deno.writeTextFile(file, JSON.stringify({ papiex_output: "out" }));
    const r = await run(["start"], { EPMT_SETTINGS: file });
    assertEquals([r.code, r.stderr], [
      1,
      refused(`settings file ${file}`, "out"),
    ]);
  });
  await t.step("~/ is taken from HOME", async () => {
    await Deno.writeTextFile(file, JSON.stringify({ papiex_output: "~/o/" }));
    const r = await run(["start"], { EPMT_SETTINGS: file });
    assertEquals(r.code, 0, r.stderr);
    const started = join(base.HOME, "o", "Foo.Bar", "960", "job_metadata.tmp");
    assertEquals((await Deno.stat(started)).isFile, true);
  });
  await box.remove();
});

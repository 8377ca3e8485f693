/**
 * stage removes the job directory after archiving it, so an archive that
 * would land inside that directory (stage_dest "./" run from within it)
 * is refused: otherwise the job and its archive are both gone.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { epmt, jobBox, listDir, slurm } from "./job_helpers.ts";

Deno.test("stage refuses a stage_dest inside the job directory", async (t) => {
  const box = await jobBox();
  const env = slurm("995");
  assertEquals((await box.epmt(["-a", "run", "true"], env)).code, 0);
  const jobdir = join(box.out, "Foo.Bar", "995");
  const before = listDir(jobdir);
  const refused = (dest: string) =>
    `ERROR:epmt: stage_dest ${dest} is inside the job directory ${jobdir}, which stage removes: stage to another directory\n`;
  await t.step(
    "run from within the job directory (stage_dest ./)",
    async () => {
      const r = await epmt(["stage"], {
        env: { ...box.env, ...env, EPMT_STAGE_DEST: "./" },
        clearEnv: true,
        cwd: jobdir,
      });
      assertEquals([r.code, r.stderr], [1, refused("./")]);
      assertEquals(listDir(jobdir), before);
    },
  );
  await t.step("a folder below it", async () => {
    const sub = join(jobdir, "archives");
    await Deno.mkdir(sub);
    const r = await box.epmt(["stage", jobdir], { EPMT_STAGE_DEST: sub });
    assertEquals([r.code, r.stderr], [1, refused(sub)]);
    assertEquals(listDir(sub), []);
    await Deno.remove(sub);
    assertEquals(listDir(jobdir), before);
  });
  await box.remove();
});

/**
 * papiex_output is shared by every user of a node, so another user could
 * plant `<papiex_output>/<user>` before the user's first job: a symlink to
 * a directory they read, or a directory of their own. start must then
 * refuse, in one line naming the directory, instead of writing the job's
 * environment and command lines where someone else can read or forge
 * them. What start makes is private: directories 0700, files 0600.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { jobBox, listDir, logLines, slurm } from "./job_helpers.ts";

Deno.test("start refuses a planted user directory", async (t) => {
  const box = await jobBox();
  const env = slurm("980", "job_980", "victim");
  const userDir = join(box.out, "victim");

  await t.step("a symlink to another directory", async () => {
    await Deno.mkdir(box.out, { recursive: true, mode: 0o1777 });
    await Deno.chmod(box.out, 0o1777);
    const trap = join(box.dir, "trap");
    await Deno.mkdir(trap);
    await Deno.symlink(trap, userDir);
    const r = await box.epmt(["start"], env);
    assertEquals(r.code, 1, r.stderr);
    const lines = logLines(r.stderr);
    assertEquals(lines.length, 1, r.stderr);
    assert(lines[0].startsWith("ERROR:epmt: "), lines[0]);
    assert(lines[0].includes(userDir), lines[0]);
    assert(lines[0].includes("symlink"), lines[0]);
    assertEquals(listDir(trap), [], "nothing written through the symlink");
    // -a run must not write there either, and still runs the command.
    const run = await box.epmt(["-a", "run", "sh", "-c", "exit 4"], env);
    assertEquals(run.code, 4, run.stderr);
    assert(run.stderr.includes("running sh without collection"), run.stderr);
    assertEquals(listDir(trap), [], run.stderr);
    await Deno.remove(userDir);
  });

  if (Deno.uid() === 0) {
    await t.step("a directory owned by someone else", async () => {
      await Deno.mkdir(userDir, { mode: 0o777 });
      await Deno.chown(userDir, 65534, 65534);
      const r = await box.epmt(["start"], env);
      assertEquals(r.code, 1, r.stderr);
      const lines = logLines(r.stderr);
      assertEquals(lines.length, 1, r.stderr);
      assert(lines[0].includes(userDir), lines[0]);
      assert(lines[0].includes("uid 65534"), lines[0]);
      assertEquals(listDir(userDir), []);
      await Deno.remove(userDir);
    });
  }

  await t.step("an output root anyone can rename entries in", async () => {
    await Deno.chmod(box.out, 0o777); // not sticky
    const r = await box.epmt(["start"], env);
    assertEquals(r.code, 1, r.stderr);
    assert(r.stderr.includes("sticky"), r.stderr);
    assertEquals(listDir(box.out), []);
    await Deno.chmod(box.out, 0o1777);
  });
  await box.remove();
});

Deno.test("start, run and stop make private directories and files", async () => {
  const box = await jobBox();
  const env = slurm("981", "job_981", "owner");
  for (const cmd of [["start"], ["run", "true"], ["stop"]]) {
    const r = await box.epmt(cmd, env);
    assertEquals(r.code, 0, r.stderr);
    if (cmd[0] === "run") {
      const dir = join(box.out, "owner", "981");
      for (const name of listDir(dir)) {
        const mode = (await Deno.stat(join(dir, name))).mode! & 0o777;
        assertEquals(mode.toString(8), "600", name);
      }
    }
  }
  const userDir = join(box.out, "owner");
  const jobDir = join(userDir, "981");
  assertEquals(((await Deno.stat(userDir)).mode! & 0o777).toString(8), "700");
  assertEquals(((await Deno.stat(jobDir)).mode! & 0o777).toString(8), "700");
  assertEquals(listDir(jobDir), ["job_metadata"]);
  const mode = (await Deno.stat(join(jobDir, "job_metadata"))).mode! & 0o777;
  assertEquals(mode.toString(8), "600");
  await box.remove();
});

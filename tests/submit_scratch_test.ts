/**
 * A submit of an archive killed with SIGKILL cannot remove the directory it
 * extracted into; the next submit of an archive does, and leaves alone
 * those of runs still going.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { assert, assertEquals } from "./assert.ts";
import { epmt, LAUNCHER, sandbox } from "./helpers.ts";
import { bigJob } from "./submit_jobs.ts";
import { createArchive } from "../src/archive/mod.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function scratchDirs(tmp: string): string[] {
  return [...Deno.readDirSync(tmp)].map((e) => e.name)
    .filter((n) => n.startsWith("epmt-submit-")).sort();
}

Deno.test("the next submit removes what a killed submit extracted", async () => {
  const box = await sandbox();
  const tmp = join(box.dir, "tmp");
  await Deno.mkdir(tmp);
  const env = { ...box.env, TMPDIR: tmp };
  const job = join(box.dir, "job");
  await bigJob(job, "kill1", 30_000);
  const archive = join(box.dir, "kill1.tgz");
  const files = [...Deno.readDirSync(job)].map((e) => e.name);
  await createArchive(archive, job, files);

  // Killed while it reads the extracted job.
  const child = new Deno.Command(LAUNCHER, {
    args: ["submit", "-n", archive],
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 60_000;
  // Until its owner file is there: a run killed between making the
  // directory and locking the file is, rightly, only cleaned after an hour.
  while (!scratchDirs(tmp).some((d) => existsSync(join(tmp, d, ".owner")))) {
    assert(Date.now() < deadline, "submit made no scratch directory");
    await sleep(2);
  }
  child.kill("SIGKILL");
  await child.status;
  const left = scratchDirs(tmp);
  assertEquals(left.length, 1, "the killed run's directory stays behind");

  // One of a run that is still going (its owner file locked, here by this
  // test) is kept; so is a recent one without an owner file, while an old
  // one (from a crash, or an older epmt) is not.
  const live = join(tmp, "epmt-submit-running");
  await Deno.mkdir(live);
  const owner = await Deno.open(join(live, ".owner"), {
    write: true,
    create: true,
  });
  await owner.lock(true);
  await Deno.mkdir(join(tmp, "epmt-submit-recent"));
  const old = join(tmp, "epmt-submit-old");
  await Deno.mkdir(old);
  const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
  await Deno.utime(old, dayAgo, dayAgo);

  const r = await epmt(["-v", "submit", "-n", archive], { env });
  assertEquals(r.code, 0, r.stderr);
  assert(
    r.stderr.includes(
      `removed 2 scratch directories left in ${tmp} by killed submits`,
    ),
    r.stderr,
  );
  assertEquals(scratchDirs(tmp), ["epmt-submit-recent", "epmt-submit-running"]);
  owner.close();
  await Deno.remove(box.dir, { recursive: true });
});

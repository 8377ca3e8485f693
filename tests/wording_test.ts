/** Messages that say what is so: singular counts, a stopped job. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { exists, ROOT } from "./helpers.ts";
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

Deno.test("stop with the collector still preloaded says it recorded itself", async () => {
  const box = await jobBox();
  const env = { ...slurm("952"), EPMT_INSTALL_PREFIX: ROOT };
  assertEquals((await box.epmt(["start"], env)).code, 0);
  const source = await box.epmt(["source", "--shell", "bash"], env);
  const exported = Object.fromEntries(
    [...source.stdout.matchAll(/^export (\w+)=(.*);$/gm)].map((m) => [
      m[1],
      m[2],
    ]),
  );
  const r = await box.epmt(["stop"], { ...env, ...exported });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(
    r.stderr,
    "WARNING:epmt: LD_PRELOAD still holds the collector, so this epmt stop was recorded as part of job 952: unset LD_PRELOAD before epmt stop\n",
  );
  const quiet = await box.epmt(["stop"], slurm("953"));
  assertEquals(quiet.stderr.includes("LD_PRELOAD"), false);
  await box.remove();
});

Deno.test("submit into an in-memory database says nothing is kept", async () => {
  const box = await jobBox();
  const job = await jobFromFixture(box.dir, "954", "single");
  const r = await box.epmt(["submit", job], { EPMT_DB_FILENAME: ":memory:" });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(
    r.stderr,
    "WARNING:epmt: the database is SQLite in memory (db_params.filename :memory:): what submit loads is gone when it ends\n",
  );
  await box.remove();
});

Deno.test("annotate -n shows what would be stored and changes nothing", async () => {
  const box = await jobBox();
  const job = await jobFromFixture(box.dir, "955", "single");
  assertEquals((await box.epmt(["submit", job])).code, 0);
  assertEquals((await box.epmt(["annotate", "955", "keep=1"])).code, 0);
  for (const args of [["-n", "annotate"], ["annotate", "-n"]]) {
    const r = await box.epmt([...args, "955", "new=2", "--remove", "keep"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      "would store for job 955 (nothing changed):\nnew:  2\n",
    );
  }
  const now = await box.epmt(["annotate", "955", "--json"]);
  assertEquals(JSON.parse(now.stdout), { keep: "1" });
  await box.remove();
});

Deno.test("export -n -o FILE says what it would write and writes nothing", async () => {
  const box = await jobBox();
  const job = await jobFromFixture(box.dir, "956", "tree");
  assertEquals((await box.epmt(["submit", job])).code, 0);
  const out = `${box.dir}/procs.csv`;
  const r = await box.epmt([
    "-n",
    "export",
    "956",
    "--what",
    "procs",
    "-o",
    out,
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, `would write 9 processes to ${out}\n`);
  assertEquals(await exists(out), false);
  await box.remove();
});

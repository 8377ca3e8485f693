/**
 * Secrets in a job's environment (private to the user on the node) never
 * reach what others can read: job_metadata, its archive, dump, and the
 * shared database. One rule decides at start/stop and at submit.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { jobBox, slurm } from "./job_helpers.ts";
import { jobFromFixture } from "./submit_jobs.ts";

const SECRETS = {
  DATABASE_URL: "postgres://alice:pw-url-1@db.example.org:5432/EPMT",
  MY_SECRET: "pw-secret-2",
  GITHUB_TOKEN: "pw-token-3",
  PGPASSWORD: "pw-pg-4",
  AWS_SECRET_ACCESS_KEY: "pw-aws-5",
  OPENAI_API_KEY: "pw-api-6",
};

Deno.test("secrets in the job's environment are kept out of metadata, archive and database", async () => {
  const box = await jobBox();
  const env = { ...slurm("610"), ...SECRETS, PLAIN: "visible" };
  assertEquals((await box.epmt(["start"], env)).code, 0);
  assertEquals((await box.epmt(["run", "true"], env)).code, 0);
  const stop = await box.epmt(["stop"], {
    ...env,
    MY_SECRET: "pw-changed-7",
    SESSION_TOKEN: "pw-new-8",
    BACKUP_URL: "https://bob:pw-url-9@backup.example.org/x",
  });
  assertEquals(stop.code, 0, stop.stderr);
  const leaks = (text: string) =>
    [...text.matchAll(/pw-[a-z]+-\d/g)].map((m) => m[0]);

  const jobdir = join(box.out, "Foo.Bar", "610");
  const metadata = await Deno.readTextFile(join(jobdir, "job_metadata"));
  assertEquals(leaks(metadata), [], "job_metadata");
  const recorded = JSON.parse(metadata);
  assertEquals(recorded.job_pl_env.PLAIN, "visible");
  assertEquals(
    recorded.job_pl_env.DATABASE_URL,
    "postgres://alice:****@db.example.org:5432/EPMT",
  );
  assertEquals(
    recorded.job_el_env_changes.BACKUP_URL,
    "https://bob:****@backup.example.org/x",
  );

  const dump = await box.epmt(["dump", "--json", jobdir], env);
  assertEquals(leaks(dump.stdout + dump.stderr), [], "dump");
  const stage = await box.epmt(["stage", jobdir], env);
  assertEquals(stage.code, 0, stage.stderr);
  const archive = stage.stdout.trim();
  const submit = await box.epmt(["submit", archive], env);
  assertEquals(submit.code, 0, submit.stderr);
  const exported = await box.epmt(["export", "610"], env);
  assertEquals(exported.code, 0, exported.stderr);
  assertEquals(leaks(exported.stdout), [], "export");
  assert(exported.stdout.includes('"PLAIN":"visible"'), exported.stdout);
  await box.remove();
});

Deno.test("submit masks secrets a Python EPMT job_metadata recorded", async () => {
  const box = await jobBox();
  // An older writer kept everything: submit masks what the rule names.
  const dir = await jobFromFixture(join(box.dir, "old"), "611", "single", {
    job_pl_env: { ...SECRETS, PLAIN: "visible" },
  });
  const submit = await box.epmt(["submit", dir]);
  assertEquals(submit.code, 0, submit.stderr);
  const exported = await box.epmt(["export", "611"]);
  assertEquals([...exported.stdout.matchAll(/pw-[a-z]+-\d/g)].length, 0);
  const env = JSON.parse(exported.stdout)[0].env;
  assertEquals(env.MY_SECRET, "****");
  assertEquals(
    env.DATABASE_URL,
    "postgres://alice:****@db.example.org:5432/EPMT",
  );
  await box.remove();
});

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
  MYSQL_PWD: "pw-mysql-10",
  DB_PASS: "pw-dbpass-11",
  // Not secret names: the values say where the password is.
  PGCONN: "host=db.example.org password=pw-libpq-12 dbname=EPMT",
  // A password with "@" in it: the userinfo ends at the last "@".
  AT_URL: "postgres://alice:p@pw-at-13@db.example.org/EPMT",
};

Deno.test("secrets in the job's environment are kept out of metadata, archive and database", async () => {
  const box = await jobBox();
  const env = {
    ...slurm("610"),
    ...SECRETS,
    PLAIN: "visible",
  };
  assertEquals((await box.epmt(["start"], env)).code, 0);
  const run = await box.epmt(["run", "true", "--password=pw-argv-14"], env);
  assertEquals(run.code, 0, run.stderr);
  const stop = await box.epmt(["stop"], {
    ...env,
    MY_SECRET: "pw-changed-7",
    SESSION_TOKEN: "pw-new-8",
    BACKUP_URL: "https://bob:pw-url-9@backup.example.org/x",
  });
  assertEquals(stop.code, 0, stop.stderr);
  const leaks = (text: string) =>
    [...text.matchAll(/pw-[a-z]+-\d+/g)].map((m) => m[0]);

  const jobdir = join(box.out, "Foo.Bar", "610");
  const metadata = await Deno.readTextFile(join(jobdir, "job_metadata"));
  assertEquals(leaks(metadata), [], "job_metadata");
  const recorded = JSON.parse(metadata);
  assertEquals(recorded.job_pl_env.PLAIN, "visible");
  // PWD (set by the shell) is the working directory, not a password.
  assert(recorded.job_pl_env.PWD.startsWith("/"), recorded.job_pl_env.PWD);
  assertEquals(
    recorded.job_pl_env.PGCONN,
    "host=db.example.org password=**** dbname=EPMT",
  );
  assertEquals(
    recorded.job_pl_env.AT_URL,
    "postgres://alice:****@db.example.org/EPMT",
  );
  assertEquals(recorded.job_runs[0].argv, ["true", "--password=****"]);
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
  const dump = await box.epmt(["dump", "--json", dir]);
  assertEquals(dump.code, 0, dump.stderr);
  assertEquals([...dump.stdout.matchAll(/pw-[a-z]+-\d+/g)].length, 0);
  const exported = await box.epmt(["export", "611"]);
  assertEquals([...exported.stdout.matchAll(/pw-[a-z]+-\d+/g)].length, 0);
  const env = JSON.parse(exported.stdout)[0].env;
  assertEquals(env.MY_SECRET, "****");
  assertEquals(
    env.DATABASE_URL,
    "postgres://alice:****@db.example.org:5432/EPMT",
  );
  await box.remove();
});

Deno.test("a password inside the database host setting is never shown", async (t) => {
  const box = await jobBox();
  const dir = await jobFromFixture(join(box.dir, "old"), "612", "single");
  const hosts = [
    "carol:pw-host-15@127.0.0.1",
    "postgres://carol:p@pw-host-16@127.0.0.1:1/jobs",
  ];
  for (const host of hosts) {
    await t.step(host.slice(0, 8), async () => {
      const env = {
        EPMT_DB_PROVIDER: "postgres",
        EPMT_DB_HOST: host,
        EPMT_DB_PORT: "1",
        EPMT_DB_USER: "carol",
        EPMT_DB_DBNAME: "jobs",
      };
      for (const args of [["submit", dir], ["list"], ["help"], ["check"]]) {
        const r = await box.epmt(args, env);
        const out = r.stdout + r.stderr;
        assertEquals(
          [...out.matchAll(/pw-[a-z]+-\d+/g)].map((m) => m[0]),
          [],
          `${args[0]}: ${out}`,
        );
        if (args[0] === "submit") {
          assertEquals(r.code, 1);
          assert(r.stderr.includes("****@"), r.stderr);
        }
      }
    });
  }
  await box.remove();
});

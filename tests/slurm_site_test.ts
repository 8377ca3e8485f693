/**
 * Site-wide collection through SLURM's Prolog, TaskProlog and Epilog
 * (scripts/slurm/epmt-*), with plain job scripts that never mention epmt.
 * The test cluster runs this checkout's scripts for jobs whose comment is
 * "epmt-site:<checkout>:<dir>" (see cluster.sh); <dir> holds the site's
 * settings.json and the hooks' log.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { join } from "node:path";
import { ROOT, runCmd } from "./helpers.ts";
import { type JobBox, jobBox, listDir } from "./job_helpers.ts";
import {
  type Cluster,
  HAS_COLLECTOR,
  jobInfo,
  sbatch,
  showJob,
  slurmCluster,
} from "./slurm_helpers.ts";

const cluster: Cluster = await slurmCluster();

/** A site: settings.json and hooks.log in <box>/site, data in the box. */
async function site(
  box: JobBox,
  settings: Record<string, unknown>,
): Promise<{ dir: string; comment: string; log: () => Promise<string> }> {
  const dir = join(box.dir, "site");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "settings.json"),
    JSON.stringify({
      papiex_output: join(box.dir, "out") + "/",
      db_params: { provider: "sqlite", filename: join(box.dir, "epmt.db") },
      stage_dest: join(box.dir, "stage") + "/",
      ...settings,
    }),
  );
  return {
    dir,
    comment: `--comment=epmt-site:${ROOT}:${dir}`,
    log: () => Deno.readTextFile(join(dir, "hooks.log")).catch(() => ""),
  };
}

/** Submits a script that says nothing of epmt and waits for its Epilog. */
async function plainJob(
  box: JobBox,
  name: string,
  text: string,
  args: string[],
  env: Record<string, string> = { PATH: "/usr/bin:/bin" },
): Promise<{ id: string; code: number; out: string }> {
  const script = join(box.dir, name);
  await Deno.writeTextFile(script, text, { mode: 0o755 });
  const out = join(box.dir, name + ".out");
  const job = await sbatch(cluster, script, env, [
    "-D",
    box.dir,
    "-o",
    out,
    ...args,
  ]);
  return {
    id: job.id,
    code: job.code,
    out: await Deno.readTextFile(out).catch(() => ""),
  };
}

const PLAIN = `#!/bin/bash
#SBATCH -J ESM4_hist_ocean_18540101
echo "started"
/bin/sh -c 'ls / >/dev/null; sleep 0.2'
exit 3
`;

Deno.test({
  name: "SLURM site hooks: a plain job script is recorded with its processes",
  ignore: !cluster.ok,
  async fn() {
    const box = await jobBox();
    try {
      const s = await site(box, { slurm_epilog: "stage" });
      const job = await plainJob(box, "plain.sh", PLAIN, [s.comment]);
      assertEquals([job.code, job.out], [3, "started\n"], await s.log());
      const info = await jobInfo(cluster, job.id);
      assertEquals(info.JobState, "FAILED", "the job's own exit code");

      // The Epilog staged the job; the job directory is gone from the node.
      const tgz = join(box.dir, "stage", `${job.id}.tgz`);
      assertEquals(listDir(join(box.dir, "stage")), [`${job.id}.tgz`]);
      assertEquals(listDir(join(box.dir, "out", "root")), []);
      const dump = await box.epmt(["dump", tgz]);
      assertEquals(dump.code, 0, dump.stderr);
      const meta = Object.fromEntries(
        dump.stdout.trim().split("\n").map((l) => {
          const [k, ...v] = l.split(/ +/);
          return [k, v.join(" ")];
        }),
      );
      assertEquals(meta.job_pl_id, job.id);
      assertEquals(meta.job_pl_username, "root");
      assertEquals(meta.job_pl_jobname, "ESM4_hist_ocean_18540101");
      assertEquals(meta.job_pl_scriptname, join(box.dir, "plain.sh"));
      assertEquals(meta.exp_component, "ocean");
      assertEquals(meta.job_el_status, "3", "SLURM's exit code");

      // The TaskProlog put the collector into the batch script.
      if (HAS_COLLECTOR) {
        const list = await runCmd("tar", ["-tzf", tgz]);
        const csv = list.stdout.split("\n").find((f) => f.endsWith(".csv"));
        assert(csv, `collector output in ${tgz}: ${list.stdout}`);
        const rows = await runCmd("tar", ["-xzOf", tgz, csv]);
        const programs = rows.stdout.split("\n").slice(1).map((r) =>
          r.split(",")[3]?.split("/").pop()
        );
        for (const exe of ["bash", "ls", "sleep"]) {
          assert(programs.includes(exe), `${exe} in ${csv}:\n${rows.stdout}`);
        }
      }
      const log = await s.log();
      assert(!log.includes("runs without epmt"), log);
    } finally {
      await box.remove();
    }
  },
});

Deno.test({
  name: "SLURM site hooks: a failing hook never fails the job or the node",
  ignore: !cluster.ok,
  async fn(t) {
    const box = await jobBox();
    try {
      const cases: [string, (dir: string) => Promise<void>, string][] = [
        [
          "settings file is not JSON",
          (dir) => Deno.writeTextFile(join(dir, "settings.json"), "{oops"),
          "epmt help failed",
        ],
        [
          "papiex_output is relative",
          async (dir) => {
            await Deno.writeTextFile(
              join(dir, "settings.json"),
              JSON.stringify({ papiex_output: "rel/out/" }),
            );
          },
          "key papiex_output: expected an absolute path",
        ],
        [
          "papiex_output cannot be created",
          async (dir) => {
            await Deno.writeTextFile(
              join(dir, "settings.json"),
              JSON.stringify({ papiex_output: "/proc/epmt/" }),
            );
          },
          "cannot create /proc/epmt",
        ],
        [
          "slurm_epilog is unknown",
          async (dir) => {
            await Deno.writeTextFile(
              join(dir, "settings.json"),
              JSON.stringify({
                papiex_output: join(box.dir, "out") + "/",
                slurm_epilog: "archive",
              }),
            );
          },
          "slurm_epilog is 'archive', not stage, submit or stop; the job's record is left as it is",
        ],
      ];
      for (const [what, breakIt, logged] of cases) {
        await t.step(what, async () => {
          const s = await site(box, {});
          await breakIt(s.dir);
          const job = await plainJob(
            box,
            "plain.sh",
            "#!/bin/bash\necho ran\n",
            [s.comment],
          );
          assertEquals([job.code, job.out], [0, "ran\n"], await s.log());
          const info = await jobInfo(cluster, job.id);
          assertEquals(info.JobState, "COMPLETED");
          const log = await s.log();
          assertStringIncludes(log, logged);
          // Each hook gives up once, with one line (the log is shared by
          // the cases: count this job's lines).
          for (const hook of ["epmt-prolog", "epmt-epilog"]) {
            const lines = log.split("\n").filter((l) =>
              l.includes(` ${hook} job ${job.id}:`)
            );
            assert(lines.length <= 1, log);
          }
          const node = await runCmd("sinfo", ["-h", "-N", "-o", "%t"], {
            env: cluster.env,
          });
          assert(
            /^(idle|mix|alloc)/.test(node.stdout.trim()),
            `node not drained: ${node.stdout}`,
          );
          await Deno.remove(join(s.dir, "hooks.log")).catch(() => {});
        });
      }
    } finally {
      await box.remove();
    }
  },
});

/** Two unprivileged accounts for the isolation test (made once, kept). */
const USERS = ["epmtslurm1", "epmtslurm2"];

async function ensureUser(name: string): Promise<number> {
  let id = await runCmd("id", ["-u", name]);
  if (id.code !== 0) {
    const add = await runCmd("useradd", [
      "--system",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      name,
    ]);
    id = await runCmd("id", ["-u", name]);
    assertEquals(id.code, 0, `useradd ${name}: ${add.stderr}`);
  }
  return Number(id.stdout.trim());
}

Deno.test({
  name: "SLURM site hooks keep each user's data to that user",
  ignore: !cluster.ok,
  async fn() {
    const box = await jobBox();
    try {
      const [uid1, uid2] = [
        await ensureUser(USERS[0]),
        await ensureUser(USERS[1]),
      ];
      // The users read the site settings and write job output and archives.
      await Deno.chmod(box.dir, 0o755);
      const s = await site(box, { slurm_epilog: "stage" });
      await Deno.chmod(s.dir, 0o755);
      await Deno.chmod(join(s.dir, "settings.json"), 0o644);
      await Deno.writeTextFile(join(s.dir, "hooks.log"), "", { mode: 0o666 });
      await Deno.chmod(join(s.dir, "hooks.log"), 0o666);
      await Deno.mkdir(join(box.dir, "jobs"));
      for (const d of ["stage", "jobs"]) {
        await Deno.chmod(join(box.dir, d), 0o1777);
      }
      const out = join(box.dir, "out");
      const asUser = (user: string) => async (name: string, text: string) => {
        const script = join(box.dir, "jobs", name);
        await Deno.writeTextFile(script, text, { mode: 0o755 });
        const job = await sbatch(cluster, script, { PATH: "/usr/bin:/bin" }, [
          s.comment,
          "-D",
          join(box.dir, "jobs"),
          "-o",
          script + ".out",
        ], user);
        return {
          id: job.id,
          code: job.code,
          out: await Deno.readTextFile(script + ".out").catch(() => ""),
        };
      };

      // User 2's first job: its directory is made for it, mode 0700.
      const two = await asUser(USERS[1])("two.sh", "#!/bin/bash\ntrue\n");
      assertEquals(two.code, 0, await s.log());
      const dir2 = await Deno.stat(join(out, USERS[1]));
      assertEquals([dir2.uid, dir2.mode! & 0o7777], [uid2, 0o700]);
      const root = await Deno.stat(out);
      assertEquals([root.uid, root.mode! & 0o7777], [0, 0o755]);

      // User 1's job cannot write into user 2's data; its own is recorded.
      const one = await asUser(USERS[0])(
        "one.sh",
        `#!/bin/bash\ntouch ${join(out, USERS[1], "planted")} 2>/dev/null ` +
          `&& echo wrote || echo refused\n`,
      );
      assertEquals([one.code, one.out], [0, "refused\n"], await s.log());
      const dir1 = await Deno.stat(join(out, USERS[0]));
      assertEquals([dir1.uid, dir1.mode! & 0o7777], [uid1, 0o700]);
      const staged = listDir(join(box.dir, "stage")).sort();
      assertEquals(staged, [`${one.id}.tgz`, `${two.id}.tgz`].sort());
      const tgz = await Deno.stat(join(box.dir, "stage", `${one.id}.tgz`));
      assertEquals(tgz.uid, uid1, "staged by the job's user, not root");

      // A directory under another user's name that user 1 owns (as if
      // planted): user 2's job runs, but nothing is written into it.
      await Deno.remove(join(out, USERS[1]), { recursive: true });
      await Deno.mkdir(join(out, USERS[1]), { mode: 0o777 });
      await Deno.chown(join(out, USERS[1]), uid1, uid1);
      const again = await asUser(USERS[1])(
        "again.sh",
        "#!/bin/bash\necho ok\n",
      );
      assertEquals([again.code, again.out], [0, "ok\n"]);
      assertEquals(listDir(join(out, USERS[1])), []);
      assertStringIncludes(
        await s.log(),
        `belongs to uid ${uid1}, not to ${USERS[1]}; the job runs without epmt`,
      );
    } finally {
      await box.remove();
    }
  },
});

Deno.test({
  name: "SLURM site hooks: slurm_epilog submit loads the job into the database",
  ignore: !cluster.ok,
  async fn() {
    const box = await jobBox();
    try {
      const s = await site(box, { slurm_epilog: "submit" });
      const job = await plainJob(box, "plain.sh", PLAIN, [s.comment]);
      assertEquals(job.code, 3, await s.log());
      const row = await showJob({
        ...box.env,
        EPMT_SETTINGS: join(s.dir, "settings.json"),
      }, job.id).catch(async (e) => {
        throw new Error(`${e.message}\nhooks.log:\n${await s.log()}`);
      });
      assertEquals(
        [row.jobname, row.username, row.exitcode],
        ["ESM4_hist_ocean_18540101", "root", 3],
      );
      if (HAS_COLLECTOR) assert(Number(row.num_procs) >= 3, `${row.num_procs}`);
    } finally {
      await box.remove();
    }
  },
});

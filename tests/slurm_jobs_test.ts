/**
 * Real SLURM jobs that use epmt the three documented ways, on the one-node
 * cluster of scripts/slurm/cluster.sh.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { LAUNCHER } from "./helpers.ts";
import { listDir, metadataOf } from "./job_helpers.ts";
import { jobBox } from "./job_helpers.ts";
import {
  type Cluster,
  HAS_COLLECTOR,
  sbatch,
  showJob,
  slurmCluster,
} from "./slurm_helpers.ts";

const cluster: Cluster = await slurmCluster();

/** The job scripts, keyed by file name; EPMT is the launcher. */
const SCRIPTS: Record<string, string> = {
  // 1. start, run, stop: the first failing run sets the job's status.
  "around_each.sh": `#!/bin/bash
#SBATCH -J CM4_piControl_C_atmos_00050101
set -e
"$EPMT" start
"$EPMT" run /bin/sh -c 'echo one; sleep 0.2'
"$EPMT" run /bin/sh -c 'exit 3' || echo "run said $?"
"$EPMT" run /bin/true
"$EPMT" stop
`,
  // 2. -a run: start and stop around one command; its status is the job's.
  "auto.sh": `#!/bin/bash
"$EPMT" -a run /bin/sh -c 'ls / >/dev/null; exit 4'
`,
  // 3. start, export the collector, plain commands, stop, submit.
  "sourced.sh": `#!/bin/bash
#SBATCH --job-name=sourced_job
"$EPMT" start
export $("$EPMT" source)
/bin/sh -c 'echo sourced; sleep 0.2'
ls / >/dev/null
unset LD_PRELOAD
"$EPMT" stop
"$EPMT" submit
`,
};

Deno.test({
  name: "SLURM: the three documented ways record SLURM's job",
  ignore: !cluster.ok,
  async fn() {
    const box = await jobBox();
    try {
      const env: Record<string, string> = { ...box.env, EPMT: LAUNCHER };
      // The real collector, found beside the launcher as in a user's job.
      delete env.EPMT_INSTALL_PREFIX;
      const paths: Record<string, string> = {};
      for (const [name, text] of Object.entries(SCRIPTS)) {
        paths[name] = join(box.dir, name);
        await Deno.writeTextFile(paths[name], text, { mode: 0o755 });
      }
      const jobs = await Promise.all(
        Object.keys(SCRIPTS).map((name) =>
          sbatch(cluster, paths[name], env, [
            "-D",
            box.dir,
            "-o",
            join(box.dir, name + ".out"),
            "-e",
            join(box.dir, name + ".err"),
          ])
        ),
      );
      const [each, auto, sourced] = jobs;
      const output = async (name: string) =>
        await Deno.readTextFile(join(box.dir, name + ".out")) +
        await Deno.readTextFile(join(box.dir, name + ".err"));

      assertEquals(each.code, 0, await output("around_each.sh"));
      assertEquals(auto.code, 4, await output("auto.sh"));
      assertEquals(sourced.code, 0, await output("sourced.sh"));
      assertEquals(
        await Deno.readTextFile(join(box.dir, "around_each.sh.out")),
        "one\nrun said 3\n",
      );

      const expect: [typeof each, string, string, number][] = [
        [each, "CM4_piControl_C_atmos_00050101", "around_each.sh", 3],
        [auto, "auto.sh", "auto.sh", 4],
        [sourced, "sourced_job", "sourced.sh", 0],
      ];
      for (const [job, name, script, status] of expect) {
        const dir = join(box.out, "root", job.id);
        assertEquals(listDir(dir).includes("job_metadata"), true, dir);
        const m = await metadataOf(dir);
        assertEquals(
          [m.job_pl_id, m.job_pl_jobname, m.job_pl_username],
          [job.id, name, "root"],
        );
        assertEquals(
          m.job_pl_scriptname,
          paths[script],
          `script name of ${script}, not SLURM's spooled copy`,
        );
        assertEquals(m.job_el_status, status, `status of ${script}`);
        if (HAS_COLLECTOR) {
          const collected = listDir(dir).filter((f) => f.endsWith(".csv"));
          assert(collected.length > 0, `collector files in ${dir}`);
        }
      }

      // The third job submitted itself: epmt show finds it.
      const row = await showJob(box.env, sourced.id);
      assertEquals(
        [row.jobname, row.username, row.exitcode],
        ["sourced_job", "root", 0],
      );
      if (HAS_COLLECTOR) assert(Number(row.num_procs) >= 3, `${row.num_procs}`);
    } finally {
      await box.remove();
    }
  },
});

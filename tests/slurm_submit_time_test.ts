/**
 * A SLURM job's submit time is SLURM's (scontrol's SubmitTime), so the time
 * it waited in the queue shows: start minus submit.
 */
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { LAUNCHER, runCmd } from "./helpers.ts";
import { jobBox, metadataOf } from "./job_helpers.ts";
import {
  type Cluster,
  jobInfo,
  slurmCluster,
  waitGone,
} from "./slurm_helpers.ts";

const cluster: Cluster = await slurmCluster();

Deno.test({
  name: "SLURM: job_pl_submit is when SLURM took the job, not when it started",
  ignore: !cluster.ok,
  async fn() {
    const box = await jobBox();
    try {
      const script = join(box.dir, "held.sh");
      await Deno.writeTextFile(
        script,
        `#!/bin/sh\n"$EPMT" start && "$EPMT" stop\n`,
        { mode: 0o755 },
      );
      const out = join(box.dir, "held.out");
      // Submitted held, released 2 s later: that long in the queue.
      const sub = await runCmd("sbatch", [
        "--parsable",
        "-H",
        "-D",
        box.dir,
        "-o",
        out,
        script,
      ], {
        env: { ...box.env, EPMT: LAUNCHER, ...cluster.env },
        clearEnv: true,
      });
      const id = sub.stdout.trim().split(";")[0];
      assertEquals(sub.code, 0, sub.stderr);
      await new Promise((ok) => setTimeout(ok, 2000));
      const rel = await runCmd("scontrol", ["release", id], {
        env: cluster.env,
      });
      assertEquals(rel.code, 0, rel.stderr);
      await waitGone(cluster, id);
      const info = await jobInfo(cluster, id);
      assertEquals(info.ExitCode, "0:0", await Deno.readTextFile(out));
      const m = await metadataOf(join(box.out, "root", id));
      const waited = Date.parse(String(m.job_pl_start)) -
        Date.parse(String(m.job_pl_submit));
      assert(waited >= 1000 && waited < 60_000, `waited ${waited} ms`);
    } finally {
      await box.remove();
    }
  },
});

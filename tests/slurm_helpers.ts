/**
 * Shared by the SLURM tests: brings up the one-node cluster of
 * scripts/slurm/cluster.sh and submits real job scripts to it.
 */
import { join } from "node:path";
import { epmt, ROOT, runCmd } from "./helpers.ts";

/** The cluster as the tests see it. */
export interface Cluster {
  /** False when SLURM cannot be installed or run here; `why` says why. */
  ok: boolean;
  why: string;
  /** SLURM_CONF for the clients (sbatch, squeue, scontrol). */
  env: Record<string, string>;
}

const CLUSTER_SH = join(ROOT, "scripts", "slurm", "cluster.sh");

/**
 * Whether this checkout builds the collector (native/Makefile): only then
 * can a job's processes be collected, and the tests check that they were.
 */
export const HAS_COLLECTOR = (() => {
  try {
    return Deno.statSync(join(ROOT, "native", "Makefile")).isFile;
  } catch {
    return false;
  }
})();

/**
 * Runs `cluster.sh up` (returns at once when the cluster is up). Exit 3
 * (packages missing and not installable), exit 4 (its ports held by another
 * program, which it leaves alone) and not being root skip the SLURM tests
 * with a reason; any other failure throws, so the tests fail.
 */
export async function slurmCluster(): Promise<Cluster> {
  if (Deno.uid() !== 0) {
    return skip("needs root to run munged, slurmctld and slurmd");
  }
  const up = await runCmd("bash", [CLUSTER_SH, "up"]);
  const last = up.stderr.trim().split("\n").pop();
  if (up.code === 3) {
    return skip(`SLURM packages cannot be installed: ${last}`);
  }
  if (up.code === 4) return skip(`the test cluster's ports are taken: ${last}`);
  if (up.code !== 0) {
    throw new Error(`cluster.sh up failed (exit ${up.code}):\n${up.stderr}`);
  }
  const env = await runCmd("bash", [CLUSTER_SH, "env"]);
  const conf = env.stdout.trim().replace(/^SLURM_CONF=/, "");
  return { ok: true, why: "", env: { SLURM_CONF: conf } };
}

function skip(why: string): Cluster {
  console.warn(`SLURM tests skipped: ${why}`);
  return { ok: false, why, env: {} };
}

/** A job that ran. */
export interface Submitted {
  id: string;
  /** The job script's exit code (128 + signal if a signal ended it). */
  code: number;
  /** SLURM's final state: COMPLETED, FAILED, ... */
  state: string;
}

/**
 * Submits a job script with sbatch and waits until SLURM is done with it,
 * Epilog included (`sbatch -W` returns while the Epilog still runs, and
 * polls more slowly than this). The job gets exactly `env` (sbatch's
 * --export=ALL of a cleared environment), so the caller's variables never
 * leak in. `as` submits as another user (the test runs as root).
 */
export async function sbatch(
  cluster: Cluster,
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  as?: string,
): Promise<Submitted> {
  const argv = ["sbatch", "--parsable", ...args, script];
  const [program, ...rest] = as
    ? ["setpriv", `--reuid=${as}`, `--regid=${as}`, "--init-groups", ...argv]
    : argv;
  const r = await runCmd(program, rest, {
    env: { ...env, ...cluster.env },
    clearEnv: true,
  });
  const id = r.stdout.trim().split(";")[0];
  if (r.code !== 0 || !/^\d+$/.test(id)) {
    throw new Error(
      `sbatch ${script}: no job id (exit ${r.code}): ${r.stderr}`,
    );
  }
  await waitGone(cluster, id);
  const info = await jobInfo(cluster, id);
  const [code, signal] = (info.ExitCode ?? "").split(":").map(Number);
  if (!Number.isInteger(code)) {
    throw new Error(
      `job ${id}: no exit code from scontrol: ${JSON.stringify(info)}`,
    );
  }
  return { id, code: signal ? 128 + signal : code, state: info.JobState };
}

/** Waits until squeue no longer lists a job (it ran, and its Epilog). */
export async function waitGone(
  cluster: Cluster,
  id: string,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await runCmd("squeue", ["-h", "-j", id, "-o", "%T"], {
      env: cluster.env,
    });
    if (r.code === 0 && r.stdout.trim() === "") return;
    if (r.code !== 0 && !/Invalid job id/.test(r.stderr)) {
      throw new Error(`squeue -j ${id}: ${r.stderr}`);
    }
    if (r.code !== 0) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`job ${id} still known to squeue after ${timeoutMs} ms`);
}

/** `scontrol show job -o ID` as key=value pairs. */
export async function jobInfo(
  cluster: Cluster,
  id: string,
): Promise<Record<string, string>> {
  const r = await runCmd("scontrol", ["show", "job", "-o", id], {
    env: cluster.env,
  });
  const info: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/(\w+)=(\S*)/g)) info[m[1]] ??= m[2];
  return info;
}

/** `epmt show --json JOBID` in an environment (settings, database). */
export async function showJob(
  env: Record<string, string>,
  jobid: string,
): Promise<Record<string, unknown>> {
  const r = await epmt(["show", "--json", jobid], { env, clearEnv: true });
  if (r.code !== 0) throw new Error(`epmt show ${jobid}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

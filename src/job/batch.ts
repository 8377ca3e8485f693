/**
 * Which job we are part of: the batch system's job id, name, user and
 * script name (SLURM, PBS/Torque/PBS Pro, LSF), or outside a batch system a
 * "fake-and-bake" identity from the session id, with one warning per field
 * that had to be made up.
 */
import { resolve } from "node:path";
import { UserError } from "../errors.ts";
import type { Settings } from "../settings/mod.ts";
import { slurmJobRecord } from "./slurm.ts";
import {
  processName,
  processScript,
  sessionAnchor,
  userName,
} from "./system.ts";

/** The batch systems we recognise. */
export type BatchSystem = "slurm" | "pbs" | "lsf";

/** Who and what the current job is. */
export interface JobIdentity {
  id: string;
  name: string;
  scriptname: string;
  user: string;
  /** null outside a batch system (fake-and-bake). */
  batch: BatchSystem | null;
  /** The batch variables the identity came from. */
  fromBatch: string[];
  /** When the batch system took the job (ISO 8601), where it says so. */
  submitted?: string;
  /**
   * One message per field that was made up, in the Python EPMT's words,
   * e.g. "JOB_ID unset: Using session id 6948 as JOB_ID".
   */
  warnings: string[];
}

interface BatchVars {
  system: BatchSystem;
  id: string[];
  name: string[];
  user: string[];
}

const SYSTEMS: BatchVars[] = [
  {
    system: "slurm",
    id: ["SLURM_JOB_ID", "SLURM_JOBID"],
    name: ["SLURM_JOB_NAME"],
    user: ["SLURM_JOB_USER"],
  },
  {
    system: "pbs",
    id: ["PBS_JOBID", "PBS_JOB_ID"],
    name: ["PBS_JOBNAME"],
    user: ["PBS_O_LOGNAME"],
  },
  {
    system: "lsf",
    id: ["LSB_JOBID"],
    name: ["LSB_JOBNAME"],
    user: ["LSFUSER"],
  },
];

function first(
  env: Record<string, string>,
  names: string[],
): [string, string] | undefined {
  for (const n of names) if (env[n]) return [n, env[n]];
  return undefined;
}

/**
 * Detects the current job from the environment. Outside a batch system the
 * session id (from /proc/self/stat) is the job id and the name, script name
 * and user are made up, each with a warning in `warnings`.
 *
 * Script name: in a SLURM batch job the submitted script, as
 * `scontrol show job` reports it; else the script the parent process runs
 * (`bash job.sh`) when there is one and it is not the batch system's
 * spooled copy of the job script;
 * else, in a batch job, the job name (SLURM and PBS name a job after its
 * script unless told otherwise); else the parent's process name.
 *
 * With `scriptname: false` the script name is not looked up (it costs a
 * look at the parent process) and is left as the job name: enough for
 * commands that only need the job's directory.
 *
 * @example
 * const job = await detectJob(Deno.env.toObject());
 */
export async function detectJob(
  env: Record<string, string>,
  opts: { scriptname?: boolean } = {},
): Promise<JobIdentity> {
  const warnings: string[] = [];
  const fromBatch: string[] = [];
  let batch: BatchSystem | null = null;
  let id: string | undefined;
  let name: string | undefined;
  let user: string | undefined;
  for (const sys of SYSTEMS) {
    const found = first(env, sys.id);
    if (!found) continue;
    batch = sys.system;
    id = found[1];
    fromBatch.push(found[0]);
    const n = first(env, sys.name);
    if (n) {
      name = n[1];
      fromBatch.push(n[0]);
    }
    const u = first(env, sys.user);
    if (u) {
      user = u[1];
      fromBatch.push(u[0]);
    }
    break;
  }
  // SLURM runs a spooled copy of the script and gives a Prolog no job
  // name: ask SLURM for the submitted script's path (and the name).
  const lookup = opts.scriptname ?? true;
  const fromSlurm = batch === "slurm" && id && (lookup || name === undefined)
    ? await slurmJobRecord(id, env)
    : {};
  name ??= fromSlurm.name;
  if (id === undefined) {
    const session = sessionAnchor();
    id = String(session.id);
    warnings.push(
      session.leader
        ? `JOB_ID unset: Using session id ${id} as JOB_ID`
        : `JOB_ID unset: Using pid ${id}, the first process of this session ` +
          `in our PID namespace (its leader is outside), as JOB_ID`,
    );
  }
  if (name === undefined) {
    name = id;
    warnings.push(`JOB_NAME unset: Using job id ${id} as JOB_NAME`);
  }
  const parentScript = lookup && !fromSlurm.script
    ? processScript(Deno.ppid)
    : undefined;
  let scriptname: string;
  if (!lookup) {
    scriptname = name;
  } else if (fromSlurm.script) {
    scriptname = fromSlurm.script;
  } else if (parentScript && !isSpooledScript(parentScript)) {
    scriptname = parentScript;
    if (!batch) {
      warnings.push(
        `JOB_SCRIPTNAME unset: Using parent script ${scriptname} as JOB_SCRIPTNAME`,
      );
    }
  } else if (batch) {
    scriptname = name;
  } else {
    scriptname = processName(Deno.ppid) ?? name;
    warnings.push(
      `JOB_SCRIPTNAME unset: Using process name ${scriptname} as JOB_SCRIPTNAME`,
    );
  }
  if (user === undefined) {
    user = await userName(env);
    warnings.push(`JOB_USER unset: Using username ${user} as JOB_USER`);
  }
  const identity: JobIdentity = {
    id,
    name,
    scriptname,
    user,
    batch,
    fromBatch,
    warnings,
  };
  if (fromSlurm.submitted) identity.submitted = fromSlurm.submitted;
  return identity;
}

/** True for the copy of a job script a batch system runs from its spool. */
function isSpooledScript(path: string): boolean {
  return /(^|\/)slurm_script$/.test(path) || path.includes("/mom_priv/") ||
    path.includes("/.lsbatch/");
}

/**
 * The job's directory, `<papiex_output>/<user>/<jobid>/`, absolute and with
 * the trailing slash the collector expects in PAPIEX_OUTPUT. Refuses an id or user that
 * cannot name a directory.
 */
export function jobDir(
  settings: Pick<Settings, "papiex_output">,
  job: Pick<JobIdentity, "id" | "user">,
): string {
  for (const [what, value] of [["job id", job.id], ["user", job.user]]) {
    if (!value || value === "." || value === ".." || /[/\0]/.test(value)) {
      throw new UserError(
        `${what} ${JSON.stringify(value)} cannot name a directory`,
      );
    }
  }
  // Absolute, so a command that changes directory still writes there.
  return resolve(settings.papiex_output, job.user, job.id) + "/";
}

/**
 * The current job and its directory, from the environment, without
 * warnings (submit and stage with no argument use it).
 */
export async function currentJob(
  settings: Pick<Settings, "papiex_output">,
  env: Record<string, string>,
): Promise<{ job: JobIdentity; dir: string }> {
  const job = await detectJob(env, { scriptname: false });
  return { job, dir: jobDir(settings, job) };
}

/**
 * The job's records: start writes the start record, each run appends one
 * line, stop folds them into job_metadata. Shared by the start, run (-a)
 * and stop commands.
 */
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import * as log from "../log.ts";
import type { Settings } from "../settings/mod.ts";
import { detectJob, jobDir, type JobIdentity } from "./batch.ts";
import { envChanges, maskSecretText, parseTags, recordableEnv } from "./env.ts";
import {
  exists,
  jobState,
  makeOutputRoot,
  METADATA_FILE,
  RUNS_FILE,
  START_FILE,
  writeAtomic,
  writeIfAbsent,
} from "./layout.ts";
import {
  decodeStartRecord,
  encodeMetadata,
  expFields,
  type JobMetadata,
  type JobRun,
  METADATA_FORMAT_VERSION,
  type StartRecord,
} from "./metadata.ts";
import { slurmExitStatus } from "./slurm.ts";
import {
  makeUserDir,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
} from "./user_dir.ts";
import { groupNames, hostName, userName } from "./system.ts";
import { isoLocal, nowMs } from "./time.ts";
import { ioReason, print } from "../io.ts";

/** The job a command works on. */
export interface JobContext {
  job: JobIdentity;
  /** `<papiex_output>/<user>/<jobid>/`, with the trailing slash. */
  dir: string;
}

/**
 * Finds the current job. With `warn` (start, -a run), the script name is
 * looked up and each made-up field of a fake-and-bake identity is printed
 * as a WARNING line; otherwise they are debug output.
 */
export async function currentJobContext(
  settings: Settings,
  env: Record<string, string>,
  warn: boolean,
): Promise<JobContext> {
  const job = await detectJob(env, { scriptname: warn });
  for (const w of job.warnings) (warn ? log.warning : log.debug)(w);
  return { job, dir: jobDir(settings, job) };
}

/**
 * The current job's directory, for dump, stage and submit given no
 * argument; where it does not exist, a UserError that says why there may
 * be none (outside a batch system a new shell is a new job id) and names
 * the most recent job directory there is instead.
 */
export async function currentJobDir(c: JobContext): Promise<string> {
  if (await exists(c.dir)) return c.dir;
  const parent = dirname(c.dir) + "/";
  const why = c.job.batch
    ? "it was not started, or was staged"
    : `${c.job.id} is this shell's session id: no batch job id is set`;
  const other = await latestJobDir(parent);
  throw new UserError(
    `no job ${c.job.id} in ${parent} (${why}): name a job directory or archive` +
      (other ? `, e.g. ${parent}${other}` : ""),
  );
}

/** The most recently changed job directory in `parent`, if any. */
async function latestJobDir(parent: string): Promise<string | undefined> {
  let best: { name: string; mtime: number } | undefined;
  try {
    for await (const e of Deno.readDir(parent)) {
      if (!e.isDirectory) continue;
      const info = await Deno.stat(parent + e.name).catch(() => undefined);
      const mtime = info?.mtime?.getTime() ?? 0;
      if (!best || mtime > best.mtime) best = { name: e.name, mtime };
    }
  } catch {
    return undefined;
  }
  return best?.name;
}

function stoppedError(c: JobContext): UserError {
  return new UserError(
    `job ${c.job.id} is already stopped (${c.dir}${METADATA_FILE} exists): ` +
      `stage or submit it; a new job needs a new job id` +
      (c.job.batch ? "" : " (run it under setsid for a new session id)"),
  );
}

function notStartedError(c: JobContext): UserError {
  return new UserError(
    `no job started for job id ${c.job.id} (no ${c.dir}${START_FILE}): ` +
      `use epmt start first, or epmt -a run`,
  );
}

/**
 * `start`: creates the job directory and writes the start record. A second
 * start of the same job warns and keeps the first record; a start after
 * stop is an error. Resolves whether a record was written.
 */
export async function startJob(
  c: JobContext,
  env: Record<string, string>,
  dryRun: boolean,
): Promise<boolean> {
  if (!dryRun) {
    await makeOutputRoot(dirname(dirname(c.dir)));
    await makeUserDir(dirname(c.dir));
  }
  const state = await jobState(c.dir);
  if (state === "stopped") throw stoppedError(c);
  if (state === "started") {
    log.warning(
      `job ${c.job.id} already started (${c.dir}${START_FILE}); keeping the first start record`,
    );
    return false;
  }
  const record = await startRecord(c.job, env);
  if (dryRun) {
    print(`would start job ${c.job.id}: write ${c.dir}${START_FILE}`);
    return false;
  }
  try {
    await Deno.mkdir(c.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (e) {
    throw new UserError(
      `cannot create job directory ${c.dir}: ${ioReason(e)} ` +
        `(set papiex_output or EPMT_PAPIEX_OUTPUT to a directory you can write)`,
    );
  }
  let written: boolean;
  try {
    written = await writeIfAbsent(c.dir + START_FILE, encodeMetadata(record));
  } catch (e) {
    throw new UserError(
      `cannot write ${c.dir}${START_FILE}: ${ioReason(e)}`,
    );
  }
  if (!written) {
    log.warning(
      `job ${c.job.id} already started (${c.dir}${START_FILE}); keeping the first start record`,
    );
    return false;
  }
  log.info(`job ${c.job.id} started in ${c.dir}`);
  return true;
}

async function startRecord(
  job: JobIdentity,
  env: Record<string, string>,
): Promise<StartRecord> {
  const recorded = recordableEnv(env);
  const tags = parseTags(env.EPMT_JOB_TAGS);
  const now = isoLocal(nowMs());
  const me = await userName(env);
  return {
    format_version: METADATA_FORMAT_VERSION,
    ...expFields(job.name, tags),
    job_pl_env: recorded,
    job_pl_env_len: Object.keys(recorded).length,
    job_pl_from_batch: job.fromBatch,
    job_pl_groupnames: groupNames(job.user, job.user === me),
    job_pl_hostname: hostName(),
    job_pl_id: job.id,
    job_pl_jobname: job.name,
    job_pl_scriptname: job.scriptname,
    job_pl_start: now,
    // SLURM says when it took the job (scontrol); the others do not tell
    // their jobs, and the start is the closest.
    job_pl_submit: job.submitted ?? now,
    job_pl_username: job.user,
    job_tags: tags,
  };
}

/** Refuses to run in a job that was not started or is already stopped. */
export async function requireStarted(c: JobContext): Promise<void> {
  const state = await jobState(c.dir);
  if (state === "stopped") throw stoppedError(c);
  if (state === "none") throw notStartedError(c);
}

/**
 * Appends one run to the job's run log: a single write of one line with
 * O_APPEND, so concurrent runs of one job do not mix their lines.
 */
export async function recordRun(c: JobContext, run: JobRun): Promise<void> {
  try {
    // A command line may hold a password (--password=...).
    const masked = { ...run, argv: run.argv.map(maskSecretText) };
    await Deno.writeTextFile(c.dir + RUNS_FILE, JSON.stringify(masked) + "\n", {
      append: true,
      mode: PRIVATE_FILE_MODE,
    });
  } catch (e) {
    log.warning(
      `cannot record the run of ${run.argv[0]} in ${c.dir}${RUNS_FILE}: ${
        ioReason(e)
      }`,
    );
  }
}

async function readRuns(c: JobContext): Promise<JobRun[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(c.dir + RUNS_FILE);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new UserError(`cannot read ${c.dir}${RUNS_FILE}: ${ioReason(e)}`);
  }
  const runs: JobRun[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const r = JSON.parse(line);
      if (
        Array.isArray(r.argv) && Number.isInteger(r.exit_status) &&
        typeof r.start === "string" && typeof r.end === "string"
      ) {
        runs.push({
          argv: r.argv.map(String),
          exit_status: r.exit_status,
          start: r.start,
          end: r.end,
        });
        return;
      }
    } catch {
      // reported below
    }
    log.warning(
      `${c.dir}${RUNS_FILE} line ${i + 1}: not a run record, skipped`,
    );
  });
  return runs.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/**
 * `stop`: adds the stop record (stop time, exit status = the first non-zero
 * status among the runs, else SLURM's exit code in an Epilog, else 0,
 * environment changes since start, tags) and writes
 * job_metadata atomically; then removes the start record and run log.
 */
export async function stopJob(
  c: JobContext,
  env: Record<string, string>,
  dryRun: boolean,
): Promise<JobMetadata> {
  const state = await jobState(c.dir);
  if (state === "stopped" && !(await exists(c.dir + START_FILE))) {
    throw stoppedError(c);
  }
  if (state === "none") {
    throw new UserError(
      `no job started for job id ${c.job.id} (no ${c.dir}${START_FILE}): run epmt start first`,
    );
  }
  let start: StartRecord;
  try {
    start = decodeStartRecord(
      await Deno.readFile(c.dir + START_FILE),
      c.dir + START_FILE,
    );
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read ${c.dir}${START_FILE}: ${ioReason(e)}`);
  }
  const runs = await readRuns(c);
  const changes = envChanges(start.job_pl_env, recordableEnv(env));
  const tags = { ...start.job_tags, ...parseTags(env.EPMT_JOB_TAGS) };
  const meta: JobMetadata = {
    ...start,
    ...expFields(start.job_pl_jobname, tags),
    job_tags: tags,
    job_el_env_changes: changes,
    job_el_env_changes_len: Object.keys(changes).length,
    job_el_from_batch: c.job.fromBatch,
    job_el_status: runs.find((r) => r.exit_status !== 0)?.exit_status ??
      slurmExitStatus(env) ?? 0,
    job_el_stop: isoLocal(nowMs()),
    job_runs: runs,
  };
  if (dryRun) {
    print(
      `would stop job ${c.job.id}: write ${c.dir}${METADATA_FILE} (exit status ${meta.job_el_status})`,
    );
    return meta;
  }
  try {
    await writeAtomic(c.dir + METADATA_FILE, encodeMetadata(meta));
  } catch (e) {
    throw new UserError(
      `cannot write ${c.dir}${METADATA_FILE}: ${ioReason(e)}`,
    );
  }
  await Deno.remove(c.dir + START_FILE).catch(() => {});
  await Deno.remove(c.dir + RUNS_FILE).catch(() => {});
  log.info(`job ${c.job.id} stopped: ${c.dir}${METADATA_FILE}`);
  return meta;
}

/**
 * The files of a job directory and small file helpers. Kept free of heavy
 * imports: start, run, stop and source load it on every call.
 */
import { dirname } from "node:path";

/** The finished job's metadata, written by stop. */
export const METADATA_FILE = "job_metadata";
/** The start record, present from start until stop. */
export const START_FILE = "job_metadata.tmp";
/** One JSON line per `epmt run`, folded into job_metadata by stop. */
export const RUNS_FILE = "job_runs.tmp";

/** True when `path` exists (any type). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Where a job stands, judged by the files in its directory. */
export type JobState = "none" | "started" | "stopped";

/** "stopped" once job_metadata exists, "started" with only the start record. */
export async function jobState(dir: string): Promise<JobState> {
  if (await exists(dir + METADATA_FILE)) return "stopped";
  if (await exists(dir + START_FILE)) return "started";
  return "none";
}

/**
 * Writes `text` to `path` (mode 0600: a job's environment and command
 * lines are private) atomically: a temporary file beside it, then a
 * rename, so readers see the old content or the new, never a part.
 */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.partial`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode: 0o600 });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Writes `text` to `path` (mode 0600) only if `path` does not exist yet, atomically
 * (a temporary file hard-linked into place). Resolves false when another
 * writer got there first.
 */
export async function writeIfAbsent(
  path: string,
  text: string,
): Promise<boolean> {
  const tmp = `${path}.${Deno.pid}.partial`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode: 0o600 });
    await Deno.link(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Creates papiex_output when it does not exist yet (with any missing
 * parent folders), open to every user and sticky like /tmp: on a node
 * several users share, whoever makes it first (a user's start, or an
 * admin's epmt check as root) must not lock the others out. Each user's
 * own directory below it is theirs. Quiet when it cannot: the job
 * directory's creation, or the check's probe, then says why.
 */
export async function makeOutputRoot(root: string): Promise<void> {
  try {
    await Deno.mkdir(root);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return; // exists, or refused
    try {
      await Deno.mkdir(dirname(root), { recursive: true });
      await Deno.mkdir(root);
    } catch {
      return;
    }
  }
  await Deno.chmod(root, 0o1777);
}

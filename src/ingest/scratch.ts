/**
 * Scratch directories for archives that submit extracts, in $TMPDIR. A run
 * removes its own when done; one that was killed (SIGKILL, out of memory,
 * a node going down) cannot, so each run first removes those of dead runs.
 *
 * A run is known to be alive by the lock it holds on its directory's
 * `.owner` file for as long as it lives: the kernel drops the lock when the
 * process dies, however it dies, and a lock means the same in every PID
 * namespace (a pid would not). The archive's members go into `job/` below,
 * so that no member can replace the lock file.
 */
import { join } from "node:path";
import * as log from "../log.ts";

const PREFIX = "epmt-submit-";
const OWNER = ".owner";

/** A directory without an owner file this old is left over from a crash. */
const ORPHAN_AGE_MS = 60 * 60 * 1000;

/** Where temporary directories go: $TMPDIR, else /tmp. */
function tmpDir(): string {
  return Deno.env.get("TMPDIR") || "/tmp";
}

/** A scratch directory in use; `remove()` when done with it. */
export interface Scratch {
  /** Where to extract: a new, empty, private directory. */
  dir: string;
  remove(): Promise<void>;
}

/**
 * A new private directory (0700) for one archive's members, locked as ours
 * until `remove()`.
 *
 * @example
 * const scratch = await makeScratch();
 * try { await extractArchive("1234.tgz", scratch.dir); } finally {
 *   await scratch.remove();
 * }
 */
export async function makeScratch(): Promise<Scratch> {
  const top = await Deno.makeTempDir({ dir: tmpDir(), prefix: PREFIX });
  // Locked before it takes its name: an owner file is never seen unlocked
  // while its run lives.
  const owner = await Deno.open(join(top, OWNER + "-new"), {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  await owner.lock(true);
  await Deno.rename(join(top, OWNER + "-new"), join(top, OWNER));
  const dir = join(top, "job");
  await Deno.mkdir(dir, { mode: 0o700 });
  return {
    dir,
    remove: async () => {
      owner.close(); // drops the lock
      await Deno.remove(top, { recursive: true });
    },
  };
}

/** Whether the run that made scratch directory `top` is gone. */
async function abandoned(top: string): Promise<boolean> {
  let owner: Deno.FsFile;
  try {
    owner = await Deno.open(join(top, OWNER), { write: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return false;
    // Killed before it wrote its owner file, or made by an older epmt.
    const mtime = (await Deno.lstat(top)).mtime?.getTime() ?? Date.now();
    return Date.now() - mtime > ORPHAN_AGE_MS;
  }
  try {
    return await owner.tryLock(true);
  } finally {
    owner.close();
  }
}

/**
 * Removes the scratch directories that killed runs of this user left in
 * $TMPDIR; says how many at info level. Never fails: what cannot be
 * removed stays.
 */
export async function removeStaleScratch(): Promise<void> {
  const tmp = tmpDir();
  const uid = Deno.uid();
  let removed = 0;
  try {
    for (const e of Deno.readDirSync(tmp)) {
      if (!e.isDirectory || !e.name.startsWith(PREFIX)) continue;
      const top = join(tmp, e.name);
      if ((await Deno.lstat(top)).uid !== uid) continue;
      if (!(await abandoned(top))) continue;
      await Deno.remove(top, { recursive: true });
      removed++;
    }
  } catch (e) {
    log.debug(`cleaning ${tmp}: ${e instanceof Error ? e.message : e}`);
  }
  if (removed) {
    log.info(
      `removed ${removed} scratch ${
        removed === 1 ? "directory" : "directories"
      } left in ${tmp} by killed submits`,
    );
  }
}

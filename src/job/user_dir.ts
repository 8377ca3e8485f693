/**
 * `<papiex_output>/<user>`: papiex_output is shared by every user of a node
 * (sticky, like /tmp), so another user may have made the user's directory
 * first, as a symlink to a directory they read or as a directory of their
 * own, to read or forge the user's job data. Job data is only written into
 * a real directory (never through a symlink) that belongs to whoever runs
 * epmt, in a papiex_output where no one else can replace it.
 */
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import { ioReason } from "../io.ts";

/** Mode of the directories we make: private to the user. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the files we write into them. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `userDir` (mode 0700) if missing, then checks without following a
 * symlink that it is a directory owned by the caller's uid, in a parent no
 * one else can rename entries in (owned by the caller or root, and sticky
 * when others may write to it). Throws a one-line UserError naming the
 * directory otherwise.
 *
 * @example
 * await makeUserDir("/tmp/epmt/alice"); // throws if /tmp/epmt/alice is a symlink
 */
export async function makeUserDir(userDir: string): Promise<void> {
  const uid = Deno.uid();
  if (uid === null) return; // not a POSIX system: no owners to check
  const root = dirname(userDir);
  const refuse = (why: string) =>
    new UserError(`refusing to write job data under ${why}`);
  let parent: Deno.FileInfo;
  try {
    parent = await Deno.stat(root);
  } catch (e) {
    throw new UserError(
      `cannot use papiex_output ${root}: ${ioReason(e)} ` +
        `(set papiex_output or EPMT_PAPIEX_OUTPUT to a directory you can write)`,
    );
  }
  if (parent.uid !== uid && parent.uid !== 0) {
    throw refuse(
      `${userDir}: its parent ${root} belongs to uid ${parent.uid}, who could replace it ` +
        `(have root make it: install -d -m 1777 ${root}; or set papiex_output to a directory of yours)`,
    );
  }
  const mode = parent.mode ?? 0;
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
    throw refuse(
      `${userDir}: its parent ${root} is writable by others but not sticky ` +
        `(chmod +t ${root}), so anyone could replace it`,
    );
  }
  try {
    await Deno.mkdir(userDir, { mode: PRIVATE_DIR_MODE });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new UserError(
        `cannot create ${userDir}: ${ioReason(e)} ` +
          `(set papiex_output or EPMT_PAPIEX_OUTPUT to a directory you can write)`,
      );
    }
  }
  const info = await Deno.lstat(userDir);
  if (info.isSymlink) {
    throw refuse(
      `${userDir}: it is a symlink, not a directory of yours (someone may have planted it; remove it)`,
    );
  }
  if (!info.isDirectory) {
    throw refuse(`${userDir}: it is not a directory`);
  }
  if (info.uid !== uid) {
    throw refuse(
      `${userDir}: it belongs to uid ${info.uid}, not to you (uid ${uid}); someone may have planted it`,
    );
  }
}

/**
 * The ingest daemon's drop folder: what is in it, what is ready (its size
 * stayed the same across two looks), and moving an entry to done/ or
 * failed/ (with `<name>.err` saying why). One daemon at a time holds the
 * folder's lock file.
 */
import { join } from "node:path";
import { isArchivePath } from "../archive/mod.ts";
import { UserError } from "../errors.ts";
import { ioReason } from "../io.ts";

/** Names the daemon keeps for itself in the folder. */
export const DONE = "done";
export const FAILED = "failed";
export const LOCK = ".epmt-daemon.lock";
export const STATE = ".epmt-daemon.json";

/** One job waiting in the folder. */
export interface Entry {
  name: string;
  path: string;
  kind: "archive" | "directory";
  /** Size and times; equal in two looks means nothing is writing to it. */
  signature: string;
}

/**
 * Checks the folder can be used (a directory we may write to), creates
 * done/ and failed/ and takes the lock. UserError, one line, otherwise,
 * or when another daemon holds the lock.
 */
export async function openDropFolder(dir: string): Promise<Deno.FsFile> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw new UserError(`drop folder ${dir}: ${ioReason(e)}`);
  }
  if (!info.isDirectory) {
    throw new UserError(`drop folder ${dir} is not a directory`);
  }
  let lock: Deno.FsFile;
  try {
    for (const sub of [DONE, FAILED]) {
      await Deno.mkdir(join(dir, sub), { recursive: true });
    }
    lock = await Deno.open(join(dir, LOCK), {
      read: true,
      write: true,
      create: true,
    });
  } catch (e) {
    throw new UserError(
      `drop folder ${dir} is not writable (${
        ioReason(e)
      }): the daemon needs to move jobs into ${DONE}/ and ${FAILED}/ there`,
    );
  }
  if (!await lock.tryLock(true)) {
    const holder = (await Deno.readTextFile(join(dir, LOCK)).catch(() => ""))
      .trim();
    lock.close();
    throw new UserError(
      `another epmt daemon is watching ${dir}${
        holder ? ` (${holder})` : ""
      }: one daemon per drop folder`,
    );
  }
  await lock.truncate(0);
  await lock.write(
    new TextEncoder().encode(`pid ${Deno.pid} on ${Deno.hostname()}\n`),
  );
  return lock;
}

/**
 * The jobs in the folder, in name order: archives (.tgz, .tar.gz, .tar)
 * and stopped job directories (with job_metadata). Hidden names (a copy
 * in progress by rsync) and the daemon's own are left alone.
 */
export async function look(dir: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  names.sort();
  for (const name of names) {
    if (name.startsWith(".") || name === DONE || name === FAILED) continue;
    const path = join(dir, name);
    try {
      const info = await Deno.stat(path);
      if (info.isFile && isArchivePath(name)) {
        out.push({ name, path, kind: "archive", signature: sig(info) });
      } else if (info.isDirectory) {
        const meta = await Deno.stat(join(path, "job_metadata")).catch(
          () => undefined,
        );
        // Only a stopped job: job_metadata.tmp alone means it still runs.
        if (meta?.isFile) {
          out.push({
            name,
            path,
            kind: "directory",
            signature: await treeSignature(path),
          });
        }
      }
    } catch {
      // Gone since the listing (another process moved it): not ours.
    }
  }
  return out;
}

function sig(info: Deno.FileInfo): string {
  return `${info.size}:${info.mtime?.getTime() ?? 0}`;
}

/** Files, total size and newest change under `dir`. */
async function treeSignature(dir: string): Promise<string> {
  let files = 0;
  let bytes = 0;
  let newest = 0;
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      const info = await Deno.lstat(p);
      if (info.isDirectory) await walk(p);
      files++;
      bytes += info.size;
      newest = Math.max(newest, info.mtime?.getTime() ?? 0);
    }
  };
  await walk(dir);
  return `${files}:${bytes}:${newest}`;
}

/**
 * Moves an entry into done/ or failed/ under its own name (with .1, .2,
 * ... when that is taken); for failed/ writes `<name>.err` beside it.
 * Returns the new path.
 */
export async function moveTo(
  dir: string,
  entry: Entry,
  where: typeof DONE | typeof FAILED,
  reason?: string,
): Promise<string> {
  let target = join(dir, where, entry.name);
  for (let i = 1; await exists(target); i++) {
    target = join(dir, where, `${entry.name}.${i}`);
  }
  try {
    await Deno.rename(entry.path, target);
    if (reason !== undefined) {
      await Deno.writeTextFile(
        `${target}.err`,
        `${new Date().toISOString()} ${reason}\n`,
      );
    }
  } catch (e) {
    // The job itself is safe (stored, or still in place): stop and say so.
    throw new UserError(
      `cannot move ${entry.path} into ${where}/: ${ioReason(e)}`,
    );
  }
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Job archives (`<jobid>.tgz`): gzip tars whose members are `./job_metadata`
 * and the collector files. Written and read by streaming through node:zlib
 * with the tar-stream package; never by running `tar`.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { UserError } from "../errors.ts";
import { type ArchiveMember } from "./_writer.ts";
import { walkArchive } from "./_reader.ts";
import { safeMemberPath } from "./_names.ts";
import { limits, showBytes } from "../limits.ts";

export { type ArchiveMember, createArchive } from "./_writer.ts";
export { type Member, walkArchive } from "./_reader.ts";

/** True for the names we treat as archives: .tgz, .tar.gz, .tar. */
export function isArchivePath(path: string): boolean {
  return /\.(tgz|tar\.gz|tar)$/i.test(path);
}

/**
 * Extracts every member into `destDir`, which should be new and empty (a
 * temporary directory). Refuses absolute paths, "..", links, devices, and
 * truncated or corrupt archives, each as a UserError naming the archive and
 * member; on error the caller removes `destDir`. Returns what was written.
 *
 * @example
 * const dir = await Deno.makeTempDir();
 * try { await extractArchive("1234.tgz", dir); } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 */
export async function extractArchive(
  archive: string,
  destDir: string,
): Promise<ArchiveMember[]> {
  const members: ArchiveMember[] = [];
  const madeDirs = new Set<string>([destDir]);
  // Synchronous file operations: each async one is a round trip through
  // Deno's thread pool, which made extracting 10,412 small files take 3.5 s
  // (scripts/bench_archive.ts); the archive is still read as a stream.
  const ensureDir = (dir: string) => {
    if (madeDirs.has(dir)) return;
    ensureDir(dirname(dir));
    try {
      const info = Deno.lstatSync(dir);
      if (!info.isDirectory) {
        throw new UserError(
          `archive ${archive}: ${dir} exists and is not a directory`,
        );
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      Deno.mkdirSync(dir, { mode: 0o755 });
    }
    madeDirs.add(dir);
  };
  await walkArchive(archive, async (m, body) => {
    const target = join(destDir, m.path);
    if (m.kind === "directory") {
      ensureDir(target);
      return;
    }
    ensureDir(dirname(target));
    const file = createFile(target, archive, m.path);
    const hash = createHash("sha256");
    try {
      for await (const piece of body) {
        hash.update(piece);
        let off = 0;
        while (off < piece.length) off += file.writeSync(piece.subarray(off));
      }
    } finally {
      file.close();
    }
    members.push({ path: m.path, size: m.size, sha256: hash.digest("hex") });
  });
  return members;
}

/**
 * Creates a new file (O_EXCL: an existing symlink is never followed). A
 * regular file of the same name (a member repeated in the archive) is
 * replaced, as tar does; anything else there is refused.
 */
function createFile(
  target: string,
  archive: string,
  member: string,
): Deno.FsFile {
  const open = () =>
    Deno.openSync(target, { write: true, createNew: true, mode: 0o644 });
  try {
    return open();
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  if (!Deno.lstatSync(target).isFile) {
    throw new UserError(
      `archive ${archive}: member ${member}: ${target} exists and is not a regular file`,
    );
  }
  Deno.removeSync(target);
  return open();
}

/**
 * Every file member's path, size and SHA-256, reading the whole archive
 * (so its integrity is checked). Stage uses it to verify what it wrote.
 */
export async function listArchive(archive: string): Promise<ArchiveMember[]> {
  const members: ArchiveMember[] = [];
  await walkArchive(archive, async (m, body) => {
    if (m.kind !== "file") return;
    const hash = createHash("sha256");
    for await (const piece of body) hash.update(piece);
    members.push({ path: m.path, size: m.size, sha256: hash.digest("hex") });
  });
  return members;
}

/**
 * The content of one member (`job_metadata` matches `./job_metadata`), or
 * undefined when the archive has none. The whole archive is read, so a
 * damaged one is an error even when the member itself is intact. Meant for
 * job_metadata: a member larger than max_metadata_bytes is refused.
 *
 * @example
 * const bytes = await readArchiveMember("1234.tgz", "job_metadata");
 */
export async function readArchiveMember(
  archive: string,
  name: string,
): Promise<Uint8Array | undefined> {
  const wanted = safeMemberPath(name);
  if ("refused" in wanted) throw new UserError(`bad member name ${name}`);
  let found: Uint8Array | undefined;
  await walkArchive(archive, async (m, body) => {
    if (m.kind !== "file" || m.path !== wanted.path) return;
    const max = limits().metadataBytes;
    if (m.size > max) {
      throw new UserError(
        `archive ${archive}: member ${m.path}: larger than ${
          showBytes(max)
        }: refused (setting max_metadata_bytes)`,
      );
    }
    const out = new Uint8Array(m.size);
    let at = 0;
    for await (const piece of body) {
      out.set(piece, at);
      at += piece.length;
    }
    found = out; // a later duplicate wins, as with tar
  });
  return found;
}

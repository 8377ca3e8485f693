/**
 * Writes a gzip-compressed tar of files under one directory, members named
 * `./<relative path>`: the tar-stream package makes the tar (pax headers
 * for long names and large sizes), node:zlib compresses it, each file is
 * streamed through. The archive appears under its final name only when
 * complete.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { closeSync, createWriteStream, fstatSync, readSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type Pack, pack as tarPack } from "tar-stream";
import { UserError } from "../errors.ts";
import { ioReason, openRegularFile } from "../io.ts";
import { safeMemberPath } from "./_names.ts";

/** A member as written or read: relative path, size and SHA-256 (hex). */
export interface ArchiveMember {
  path: string;
  size: number;
  sha256: string;
}

/** Files are read and handed to the tar in pieces of at most this size. */
const CHUNK = 1 << 20;

/**
 * Writes `out` (gzip tar) holding `files` (paths relative to `baseDir`) as
 * members `./<path>`, in the order given. Written to a temporary name beside
 * `out` and renamed into place, so a failed run leaves no partial archive.
 * Returns each member's size and SHA-256 for verification.
 *
 * @example
 * await createArchive("1234.tgz", "/tmp/epmt/me/1234", ["job_metadata"]);
 */
export async function createArchive(
  out: string,
  baseDir: string,
  files: string[],
): Promise<ArchiveMember[]> {
  const paths = files.map((f) => {
    const safe = safeMemberPath(f);
    if ("refused" in safe || safe.path === "") {
      throw new UserError(`cannot archive ${f}: not a relative path`);
    }
    return safe.path;
  });
  const members: ArchiveMember[] = [];
  const partial = `${out}.partial-${Deno.pid}`;
  const pack = tarPack();
  try {
    const written = pipeline(
      pack,
      createGzip(),
      createWriteStream(partial, { flags: "wx", mode: 0o644 }),
    );
    written.catch(() => {}); // awaited below, after the feeding
    try {
      await feed(pack, baseDir, paths, members);
    } catch (e) {
      // Our reason, not the broken pipeline's.
      pack.destroy(e as Error);
      await written.catch(() => {});
      throw e;
    }
    await written;
    await Deno.rename(partial, out);
  } catch (e) {
    await Deno.remove(partial).catch(() => {});
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write archive ${out}: ${ioReason(e)}`);
  }
  return members;
}

/** Adds each file to the tar, then ends it. */
async function feed(
  pack: Pack,
  baseDir: string,
  files: string[],
  members: ArchiveMember[],
): Promise<void> {
  for (const rel of files) {
    const path = join(baseDir, rel);
    let fd: number;
    try {
      fd = openRegularFile(path, `cannot archive ${path}`);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot archive ${path}: ${ioReason(e)}`);
    }
    try {
      members.push(await addFile(pack, fd, path, rel));
    } finally {
      closeSync(fd);
    }
  }
  pack.finalize();
}

/** One file as the member `./<rel>`, streamed in CHUNK pieces. */
async function addFile(
  pack: Pack,
  fd: number,
  path: string,
  rel: string,
): Promise<ArchiveMember> {
  const info = fstatSync(fd);
  const size = info.size;
  let entryDone!: Promise<void>;
  const sink = (() => {
    let sink!: ReturnType<Pack["entry"]>;
    entryDone = new Promise((resolve, reject) => {
      sink = pack.entry({
        name: `./${rel}`,
        type: "file",
        size,
        mode: info.mode & 0o777,
        mtime: info.mtime,
        uid: info.uid,
        gid: info.gid,
      }, (err) => err ? reject(err) : resolve());
    });
    return sink;
  })();
  const hash = createHash("sha256");
  // Small files (nearly all collector files) take one read; one byte more
  // than the size is asked for, to see a file that grew.
  const buf = Buffer.allocUnsafe(Math.min(size + 1, CHUNK));
  let read = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    read += n;
    if (read > size) break;
    const piece = Buffer.from(buf.subarray(0, n));
    hash.update(piece);
    if (!sink.write(piece)) {
      await new Promise<void>((r) => sink.once("drain", () => r()));
    }
  }
  if (read !== size) {
    sink.destroy(new Error("size changed"));
    await entryDone.catch(() => {});
    throw new UserError(
      `cannot archive ${path}: it changed size while being archived`,
    );
  }
  sink.end(null);
  await entryDone;
  return { path: rel, size, sha256: hash.digest("hex") };
}

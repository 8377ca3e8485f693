/**
 * Writes a gzip-compressed tar of files under one directory, members named
 * `./<relative path>`, streaming each file through node:zlib. The archive
 * appears under its final name only when complete.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { ioReason } from "../io.ts";
import {
  BLOCK,
  byteLength,
  makeHeader,
  MAX_OCTAL_SIZE,
  paxRecord,
  Type,
} from "./_header.ts";
import { safeMemberPath } from "./_names.ts";

/** A member as written or read: relative path, size and SHA-256 (hex). */
export interface ArchiveMember {
  path: string;
  size: number;
  sha256: string;
}

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
  try {
    await pipeline(
      Readable.from(tarStream(baseDir, paths, members), {
        objectMode: false,
        highWaterMark: CHUNK,
      }),
      createGzip(),
      createWriteStream(partial, { flags: "wx", mode: 0o644 }),
    );
    await Deno.rename(partial, out);
  } catch (e) {
    await Deno.remove(partial).catch(() => {});
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write archive ${out}: ${ioReason(e)}`);
  }
  return members;
}

/** Output is handed to gzip in chunks of about this size. */
const CHUNK = 1 << 20;

/** Collects small pieces into large chunks: one stream write per MiB. */
class Packer {
  #parts: Uint8Array[] = [];
  size = 0;
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.size += bytes.length;
  }
  take(): Uint8Array {
    const out = concat(this.#parts);
    this.#parts = [];
    this.size = 0;
    return out;
  }
}

async function* tarStream(
  baseDir: string,
  files: string[],
  members: ArchiveMember[],
): AsyncGenerator<Uint8Array> {
  const out = new Packer();
  for (const rel of files) {
    const path = join(baseDir, rel);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path);
    } catch (e) {
      throw new UserError(`cannot archive ${path}: ${ioReason(e)}`);
    }
    try {
      const info = file.statSync();
      if (!info.isFile) {
        throw new UserError(`cannot archive ${path}: not a file`);
      }
      for (const h of headers(`./${rel}`, info)) out.push(h);
      const hash = createHash("sha256");
      let written = 0;
      // Small files (nearly all collector files) are read in one go; big
      // ones stream through in CHUNK pieces.
      const buf = new Uint8Array(Math.min(info.size + 1, CHUNK));
      for (;;) {
        const n = file.readSync(buf);
        if (n === null || n === 0) break;
        if (written + n > info.size) {
          written += n;
          break;
        }
        const piece = buf.slice(0, n);
        hash.update(piece);
        written += n;
        out.push(piece);
        if (out.size >= CHUNK) yield out.take();
      }
      if (written !== info.size) {
        throw new UserError(
          `cannot archive ${path}: it changed size while being archived`,
        );
      }
      out.push(new Uint8Array((BLOCK - (info.size % BLOCK)) % BLOCK));
      members.push({ path: rel, size: info.size, sha256: hash.digest("hex") });
    } finally {
      file.close();
    }
    if (out.size >= CHUNK) yield out.take();
  }
  out.push(new Uint8Array(2 * BLOCK)); // end of archive
  yield out.take();
}

/** The header (with a pax header first when name or size do not fit). */
function* headers(name: string, info: Deno.FileInfo): Generator<Uint8Array> {
  const mtime = (info.mtime?.getTime() ?? Date.now()) / 1000;
  const records: Uint8Array[] = [];
  if (byteLength(name) > 100) records.push(paxRecord("path", name));
  if (info.size > MAX_OCTAL_SIZE) {
    records.push(paxRecord("size", String(info.size)));
  }
  if (records.length) {
    const body = concat(records);
    yield makeHeader({
      name: "././@PaxHeader",
      type: Type.PAX_NEXT,
      size: body.length,
      mode: 0o644,
      mtime,
    });
    yield body;
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) yield new Uint8Array(pad);
  }
  yield makeHeader({
    name: truncateUtf8(name, 100),
    type: Type.FILE,
    size: info.size,
    mode: info.mode ?? 0o644,
    mtime,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** At most `max` bytes of a name, never splitting a UTF-8 sequence. */
function truncateUtf8(s: string, max: number): string {
  let out = "";
  for (const ch of s) {
    if (byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/**
 * Streams a .tgz/.tar.gz/.tar archive member by member: gzip is detected by
 * content, decompressed by node:zlib, and the tar stream parsed here (ustar,
 * pax and GNU long names). Members that could escape a destination (absolute
 * paths, "..", links, devices, FIFOs) and damaged archives are UserErrors
 * naming the archive and the member. Nothing is held in memory beyond the
 * chunk being passed on.
 */
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { UserError } from "../errors.ts";
import { ioReason } from "../io.ts";
import {
  BLOCK,
  type Header,
  isZeroBlock,
  parseHeader,
  parsePax,
  Type,
} from "./_header.ts";
import { safeMemberPath } from "./_names.ts";
import { describeStart } from "./_sniff.ts";

/** A member about to be read; `path` is relative and safe to join. */
export interface Member {
  path: string;
  kind: "file" | "directory";
  size: number;
  /** The permission bits recorded in the archive. */
  mode: number;
}

/** Called for each member with its content; unread content is skipped. */
export type Visitor = (
  member: Member,
  body: AsyncIterable<Uint8Array>,
) => Promise<void>;

/** Names, pax and GNU long-name records larger than this are refused. */
const MAX_META = 1 << 20;

class Truncated extends Error {}

/** Hands out exact byte counts from a stream of chunks. */
class ChunkReader {
  #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #more(): Promise<boolean> {
    for (;;) {
      const next = await this.#it.next();
      if (next.done) return false;
      if (next.value.length === 0) continue;
      this.#buf = next.value;
      this.#pos = 0;
      return true;
    }
  }

  /** Exactly n bytes; null when the stream ended cleanly before them. */
  async read(n: number): Promise<Uint8Array | null> {
    if (this.#pos + n <= this.#buf.length) {
      const out = this.#buf.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      return out;
    }
    const out = await this.readSome(n);
    if (out.length === 0) return null;
    if (out.length < n) throw new Truncated();
    return out;
  }

  /** n bytes, or fewer where the stream ends. */
  async readSome(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (this.#pos >= this.#buf.length && !(await this.#more())) break;
      const k = Math.min(n - got, this.#buf.length - this.#pos);
      out.set(this.#buf.subarray(this.#pos, this.#pos + k), got);
      this.#pos += k;
      got += k;
    }
    return out.subarray(0, got);
  }

  /** The next n bytes as pieces (views into the stream's chunks). */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.#pos >= this.#buf.length && !(await this.#more())) {
        throw new Truncated();
      }
      const k = Math.min(left, this.#buf.length - this.#pos);
      const piece = this.#buf.subarray(this.#pos, this.#pos + k);
      this.#pos += k;
      left -= k;
      yield piece;
    }
  }

  /** Puts `bytes`, the last bytes read, back in front of the stream. */
  unread(bytes: Uint8Array): void {
    if (bytes.length <= this.#pos) this.#pos -= bytes.length;
    else {
      const rest = this.#buf.subarray(this.#pos);
      const joined = new Uint8Array(bytes.length + rest.length);
      joined.set(bytes);
      joined.set(rest, bytes.length);
      this.#buf = joined;
      this.#pos = 0;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n)) { /* discard */ }
  }

  /** Reads to the end, so that gzip's checksum is verified. */
  async drain(): Promise<void> {
    this.#pos = this.#buf.length;
    while (await this.#more()) this.#pos = this.#buf.length;
  }
}

async function openStream(
  archive: string,
): Promise<{ stream: AsyncIterable<Uint8Array>; gzip: boolean }> {
  const magic = new Uint8Array(2);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(archive);
  } catch (e) {
    throw new UserError(`archive ${archive}: ${ioReason(e)}`);
  }
  try {
    if ((await file.stat()).isDirectory) {
      throw new UserError(`archive ${archive}: is a directory`);
    }
    let got = 0;
    while (got < 2) {
      const n = await file.read(magic.subarray(got));
      if (n === null) break;
      got += n;
    }
    if (got === 0) throw new UserError(`archive ${archive}: file is empty`);
  } finally {
    file.close();
  }
  const raw = createReadStream(archive, { highWaterMark: 256 * 1024 });
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    // pipeline() destroys every stage on error, so the iterator rejects.
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    return { stream: pipeline(raw, gunzip, () => {}), gzip: true };
  }
  return { stream: raw, gzip: false };
}

/**
 * Calls `visit` for each file and directory of the archive, in order.
 * Throws UserError for a missing, truncated or corrupt archive and for any
 * member that is not a plain file or directory with a safe relative path.
 *
 * @example
 * await walkArchive("1234.tgz", async (m, body) => {
 *   for await (const chunk of body) console.log(m.path, chunk.length);
 * });
 */
export async function walkArchive(
  archive: string,
  visit: Visitor,
): Promise<void> {
  const { stream, gzip } = await openStream(archive);
  const reader = new ChunkReader(stream);
  let member = "";
  try {
    await firstHeader(reader, archive, gzip);
    await walk(reader, visit, (name) => member = name, archive);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const at = member ? `, member ${member}` : "";
    if (e instanceof Truncated) {
      throw new UserError(`archive ${archive} is truncated${at}`);
    }
    const code = (e as { code?: string }).code ?? "";
    if (code === "Z_BUF_ERROR") {
      throw new UserError(
        `archive ${archive} is truncated (compressed data ends early)${at}`,
      );
    }
    if (code.startsWith("Z_") || code.startsWith("ERR_ZLIB")) {
      throw new UserError(
        `archive ${archive} is corrupt (${(e as Error).message})${at}`,
      );
    }
    throw e;
  }
}

/**
 * Checks that the stream begins like a tar archive, and puts its first
 * block back for walk(). Anything else (a log saved as x.tgz, a bzip2 file
 * renamed) is said to be what it is, rather than a truncated archive.
 */
async function firstHeader(
  reader: ChunkReader,
  archive: string,
  gzip: boolean,
): Promise<void> {
  const start = await reader.readSome(BLOCK);
  reader.unread(start);
  const ustar = new TextDecoder().decode(start.subarray(257, 262)) === "ustar";
  if (
    ustar ||
    start.length === BLOCK &&
      (isZeroBlock(start) || typeof parseHeader(start) !== "string")
  ) {
    return; // a tar archive, perhaps damaged: walk() says how
  }
  throw new UserError(
    `archive ${archive} ${
      gzip
        ? "is gzip-compressed but not a tar archive"
        : "is not a gzip or tar archive"
    }: ${describeStart(start)}`,
  );
}

async function walk(
  reader: ChunkReader,
  visit: Visitor,
  current: (name: string) => void,
  archive: string,
): Promise<void> {
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  const fail = (name: string, reason: string) =>
    new UserError(`archive ${archive}: member ${name}: ${reason}`);
  const corrupt = (reason: string) =>
    new UserError(`archive ${archive} is corrupt (${reason})`);

  for (;;) {
    const block = await reader.read(BLOCK);
    if (block === null) {
      throw new UserError(
        `archive ${archive} is truncated (no end-of-archive block)`,
      );
    }
    if (isZeroBlock(block)) {
      await reader.drain();
      return;
    }
    const parsed = parseHeader(block);
    if (typeof parsed === "string") throw corrupt(parsed);
    const h: Header = parsed;
    let size = h.size;
    if (pax?.has("size")) {
      size = Number(pax.get("size"));
      if (!Number.isSafeInteger(size) || size < 0) {
        throw corrupt("bad pax size");
      }
    }
    const name = pax?.get("path") ?? longName ?? h.name;
    current(name);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (
      h.type === Type.PAX_NEXT || h.type === Type.PAX_GLOBAL ||
      h.type === Type.GNU_LONG_NAME || h.type === Type.GNU_LONG_LINK
    ) {
      if (size > MAX_META) throw corrupt(`extended header of ${size} bytes`);
      const body = await reader.read(padded);
      if (body === null) throw new Truncated();
      const content = body.subarray(0, size);
      if (h.type === Type.PAX_NEXT) {
        const records = parsePax(content);
        if (typeof records === "string") throw corrupt(records);
        pax = records;
      } else if (h.type === Type.GNU_LONG_NAME) {
        const nul = content.indexOf(0);
        longName = new TextDecoder().decode(
          nul < 0 ? content : content.subarray(0, nul),
        );
      }
      continue;
    }
    pax = undefined;
    longName = undefined;

    let kind: Member["kind"];
    if (h.type === Type.DIRECTORY) kind = "directory";
    else if (
      h.type === Type.FILE || h.type === Type.OLD_FILE ||
      h.type === Type.CONTIGUOUS
    ) {
      kind = h.type === Type.OLD_FILE && name.endsWith("/")
        ? "directory"
        : "file";
    } else {
      throw fail(name, REFUSED_TYPES[h.type] ?? `unsupported type '${h.type}'`);
    }
    const safe = safeMemberPath(name);
    if ("refused" in safe) throw fail(name, `${safe.refused}: refused`);
    if (safe.path === "" && kind === "file") throw fail(name, "empty name");

    let left = size;
    if (safe.path !== "") {
      const body = (async function* () {
        for await (const piece of reader.take(size)) {
          left -= piece.length;
          yield piece;
        }
      })();
      await visit({ path: safe.path, kind, size, mode: h.mode }, body);
    }
    await reader.skip(left + (padded - size));
  }
}

const REFUSED_TYPES: Record<string, string> = {
  [Type.HARD_LINK]: "hard link: refused",
  [Type.SYMLINK]: "symbolic link: refused",
  [Type.CHAR_DEVICE]: "character device: refused",
  [Type.BLOCK_DEVICE]: "block device: refused",
  [Type.FIFO]: "FIFO: refused",
};

/**
 * Streams a .tgz/.tar.gz/.tar archive member by member: gzip is detected by
 * content and decompressed by node:zlib, the tar stream is parsed by the
 * tar-stream package (ustar, pax, GNU long names). What is ours is the
 * guard: members that could escape a destination (absolute paths, "..",
 * links, devices, FIFOs) are refused, and so are members larger than
 * max_member_bytes and archives that expand beyond max_expansion times
 * their size (gzip bombs), each as a UserError naming the archive and the
 * member. Nothing is held in memory beyond the chunks in flight.
 */
import { closeSync, createReadStream, fstatSync, readSync } from "node:fs";
import { pipeline, Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract as tarExtract, type Header } from "tar-stream";
import { UserError } from "../errors.ts";
import { ioReason, openRegularFile } from "../io.ts";
import { EXPANSION_FLOOR, limits, showBytes } from "../limits.ts";
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

const BLOCK = 512;
const CHUNK = 256 * 1024;

/**
 * Counts the tar bytes on their way to the parser: stops an archive that
 * expands too far, keeps its first block (to say what a non-tar file is)
 * and where its last non-zero byte was (to find the end-of-archive block,
 * which tar-stream does not require).
 */
class Meter extends Transform {
  total = 0;
  lastNonZero = -1;
  first = new Uint8Array(0);
  readonly #max: number;
  readonly #tooBig: () => Error;

  constructor(max: number, tooBig: () => Error) {
    super({ highWaterMark: CHUNK });
    this.#max = max;
    this.#tooBig = tooBig;
  }

  override _transform(
    chunk: Uint8Array,
    _enc: string,
    done: TransformCallback,
  ): void {
    if (this.first.length < BLOCK) {
      const head = new Uint8Array(
        Math.min(BLOCK, this.first.length + chunk.length),
      );
      head.set(this.first);
      head.set(
        chunk.subarray(0, head.length - this.first.length),
        this.first.length,
      );
      this.first = head;
    }
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] !== 0) {
        this.lastNonZero = this.total + i;
        break;
      }
    }
    this.total += chunk.length;
    if (this.total > this.#max) return done(this.#tooBig());
    done(null, chunk);
  }
}

/** Opens the archive (a regular file only) and tells whether it is gzip. */
function openArchive(
  archive: string,
): { fd: number; size: number; gzip: boolean } {
  let fd: number;
  try {
    fd = openRegularFile(archive, `archive ${archive}`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`archive ${archive}: ${ioReason(e)}`);
  }
  try {
    const magic = new Uint8Array(2);
    let got = 0;
    while (got < 2) {
      const n = readSync(fd, magic, got, 2 - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got === 0) throw new UserError(`archive ${archive}: file is empty`);
    const size = fstatSync(fd).size;
    return { fd, size, gzip: magic[0] === 0x1f && magic[1] === 0x8b };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

const REFUSED: Partial<Record<Header["type"], string>> = {
  "link": "hard link: refused",
  "symlink": "symbolic link: refused",
  "character-device": "character device: refused",
  "block-device": "block device: refused",
  "fifo": "FIFO: refused",
};

/**
 * Calls `visit` for each file and directory of the archive, in order.
 * Throws UserError for a missing, truncated, corrupt or oversized archive
 * and for any member that is not a plain file or directory with a safe
 * relative path.
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
  const { fd, size, gzip } = openArchive(archive);
  const bound = limits();
  const maxTotal = gzip
    ? Math.max(EXPANSION_FLOOR, bound.expansion * size)
    : Infinity;
  const meter = new Meter(
    maxTotal,
    () =>
      new UserError(
        `archive ${archive} expands beyond ${bound.expansion} times its size (past ${
          showBytes(maxTotal)
        }): refused as a likely gzip bomb (setting max_expansion)`,
      ),
  );
  const raw = createReadStream("", { fd, highWaterMark: CHUNK });
  const source = gzip
    ? pipeline(raw, createGunzip({ chunkSize: CHUNK }), meter, () => {})
    : pipeline(raw, meter, () => {});
  // Old (v7) headers too. A buffer of several gunzip chunks: with the
  // default 16 KiB, extracting 10,412 small files took 1.5-2.9x as long
  // (scripts/bench_archive.ts), the pipe stalling between members. Neither
  // option is in the package's types.
  const parser = tarExtract(
    {
      allowUnknownFormat: true,
      highWaterMark: 4 * CHUNK,
    } as unknown as Parameters<typeof tarExtract>[0],
  );
  // pipeline() destroys every stage on error; the parser hears of it here.
  source.on("error", (e: Error) => parser.destroy(e));
  // The first failure is the reason; a member's stream only says that it
  // was cut off.
  let failure: unknown;
  parser.on("error", (e: unknown) => failure ??= e);
  source.pipe(parser);

  let member = "";
  let end = 0; // where the last member's data (padded) ends
  try {
    for await (const entry of parser) {
      const h = entry.header;
      member = h.name;
      end = entry.offset + BLOCK + Math.ceil(h.size / BLOCK) * BLOCK;
      const m = checkMember(h, archive, bound.memberBytes);
      if (m) await visit(m, entry as AsyncIterable<Uint8Array>);
      for await (const _ of entry) { /* skip what the visitor left */ }
    }
    if (meter.total === 0) throw new Truncated();
    if (meter.lastNonZero >= end || meter.total - end < BLOCK) {
      throw new UserError(
        `archive ${archive} is truncated (no end-of-archive block)`,
      );
    }
  } catch (e) {
    parser.destroy();
    raw.destroy();
    const cause = e instanceof UserError ? e : failure ?? e;
    throw explain(cause, archive, member, gzip, meter.first);
  }
}

class Truncated extends Error {}

/** The member as the visitor sees it; undefined for the root "./". */
function checkMember(
  h: Header,
  archive: string,
  maxBytes: number,
): Member | undefined {
  const fail = (reason: string) =>
    new UserError(`archive ${archive}: member ${h.name}: ${reason}`);
  let kind: Member["kind"];
  if (h.type === "directory") kind = "directory";
  else if (h.type === "file" || h.type === "contiguous-file") kind = "file";
  else {
    throw fail(
      REFUSED[h.type] ?? "unsupported type (sparse or vendor-specific)",
    );
  }
  const safe = safeMemberPath(h.name);
  if ("refused" in safe) throw fail(`${safe.refused}: refused`);
  if (safe.path === "" && kind === "file") throw fail("empty name");
  if (h.size > maxBytes) {
    throw fail(
      `${showBytes(h.size)}, larger than ${
        showBytes(maxBytes)
      }: refused (setting max_member_bytes)`,
    );
  }
  if (safe.path === "") return undefined;
  return { path: safe.path, kind, size: h.size, mode: h.mode };
}

/** Our error line for what went wrong reading the archive. */
function explain(
  e: unknown,
  archive: string,
  member: string,
  gzip: boolean,
  first: Uint8Array,
): unknown {
  if (e instanceof UserError) return e;
  const at = member ? `, member ${member}` : "";
  const code = (e as { code?: string }).code ?? "";
  const message = e instanceof Error ? e.message : String(e);
  if (code === "Z_BUF_ERROR" || code === "ERR_STREAM_PREMATURE_CLOSE") {
    return new UserError(
      `archive ${archive} is truncated (compressed data ends early)${at}`,
    );
  }
  if (code.startsWith("Z_") || code.startsWith("ERR_ZLIB")) {
    return new UserError(`archive ${archive} is corrupt (${message})${at}`);
  }
  const truncated = e instanceof Truncated ||
    message === "Unexpected end of data";
  const badHeader = message.startsWith("Invalid tar header");
  if ((truncated || badHeader) && !member && !isTarStart(first)) {
    // Not even a first header: say what the file is instead.
    return new UserError(
      `archive ${archive} ${
        gzip
          ? "is gzip-compressed but not a tar archive"
          : "is not a gzip or tar archive"
      }: ${describeStart(first)}`,
    );
  }
  if (truncated) return new UserError(`archive ${archive} is truncated${at}`);
  if (badHeader) {
    return new UserError(`archive ${archive} is corrupt (bad header checksum)`);
  }
  if (message === "Header exceeds max size") {
    return new UserError(
      `archive ${archive} is corrupt (extended header too large)${at}`,
    );
  }
  if (message === "Invalid header") {
    return new UserError(
      `archive ${archive} is corrupt (bad number in header)${at}`,
    );
  }
  return e;
}

/** Whether a stream's first bytes are those of a tar: ustar magic, or zeros. */
function isTarStart(first: Uint8Array): boolean {
  if (new TextDecoder().decode(first.subarray(257, 262)) === "ustar") {
    return true;
  }
  return first.length === BLOCK && first.every((b) => b === 0);
}

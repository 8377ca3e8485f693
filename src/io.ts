/**
 * Input and output errors said plainly, and writing output whole with the
 * two failures a command-line tool meets: a reader that went away
 * (`epmt list | head`), which ends the output quietly, and a full disk or a
 * file size limit, which is a UserError naming where the output was going
 * (not an internal error).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { UserError } from "./errors.ts";
import { showBytes } from "./limits.ts";

const encoder = new TextEncoder();

/** True when `path` is a regular file (following symlinks). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** What a file that is not a regular one is, for an error line. */
function kindOf(
  info: {
    isFIFO(): boolean;
    isDirectory(): boolean;
    isSocket(): boolean;
    isCharacterDevice(): boolean;
    isBlockDevice(): boolean;
  },
): string {
  if (info.isFIFO()) return "a FIFO";
  if (info.isDirectory()) return "a directory";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Opens `path` (symlinks followed) for reading and returns the descriptor,
 * if it is a regular file. A FIFO, device, socket or directory is a
 * UserError naming it as `name`: opened without blocking, so a FIFO never
 * hangs the read and a link to /dev/zero is never read. Other failures
 * (missing, permission) are thrown as they are, for the caller to word.
 *
 * `listedRegular`: a directory listing just said this is a regular file
 * (its entry type, no symlink). Then it is opened without following a
 * symlink and not stat'ed again: node's fstatSync costs ~15 µs, which at
 * 100,000 per-process files was two thirds of reading a job. Swapped for a
 * symlink since, it is checked the full way; for a FIFO, the open and the
 * reads do not block, and a device is bounded by the line limit.
 */
export function openRegularFile(
  path: string,
  name: string,
  listedRegular = false,
): number {
  if (listedRegular) {
    try {
      return openSync(
        path,
        constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
      );
    } catch (e) {
      if ((e as { code?: string }).code !== "ELOOP") throw e;
    }
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const info = fstatSync(fd);
  if (!info.isFile()) {
    closeSync(fd);
    throw new UserError(
      `${name}: ${kindOf(info)}, not a regular file: refused`,
    );
  }
  return fd;
}

/**
 * The whole content of the regular file at `path`, refused as a UserError
 * naming `name` when it is not a regular file or holds more than `max`
 * bytes (`setting` names what raises the bound). Open failures are thrown
 * as they are.
 */
export function readRegularFile(
  path: string,
  name: string,
  max: number,
  setting: string,
): Uint8Array {
  const fd = openRegularFile(path, name);
  try {
    const size = fstatSync(fd).size;
    const tooBig = () =>
      new UserError(
        `${name}: larger than ${showBytes(max)}: refused (setting ${setting})`,
      );
    if (size > max) throw tooBig();
    // Read to the end, not to the size: a file may grow meanwhile.
    let buf = new Uint8Array(Math.min(size + 1, max + 1));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (got > max) throw tooBig();
        const bigger = new Uint8Array(Math.min(buf.length * 2, max + 1));
        bigger.set(buf);
        buf = bigger;
      }
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    if (got > max) throw tooBig();
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Anything bytes can be written to synchronously (a file, stdout). */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

/**
 * Why a file operation failed, in words for an error line: "no such file
 * or directory", "permission denied", "no space left on device" (without
 * Deno's "(os error N)" and the path it may append).
 */
export function ioReason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.AlreadyExists) return "already exists";
  if (e instanceof Deno.errors.NotADirectory) return "not a directory";
  const message = e instanceof Error ? e.message : String(e);
  // Deno's "... (os error 2)" and node:fs's "ENOENT: ..., open '/path'".
  const reason = message.replace(/ \(os error \d+\).*$/s, "")
    .replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/s, "");
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}

/**
 * Writes all of `bytes` to `file`. A failed write is a UserError
 * `cannot write <name>: <reason>`, except a broken pipe, which is thrown
 * as it is for the caller to end its output.
 */
export function writeAllSync(
  file: SyncWriter,
  bytes: Uint8Array,
  name: string,
): void {
  let done = 0;
  try {
    while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) throw e;
    throw new UserError(`cannot write ${name}: ${ioReason(e)}`);
  }
}

/**
 * Where standard output and standard error go: the process's own, or a
 * capture (captureOutput), so the CLI can run in-process with its output
 * collected.
 */
let outSink: SyncWriter = Deno.stdout;
let errSink: SyncWriter = Deno.stderr;

/** Standard output, or the capture in force. */
export function stdout(): SyncWriter {
  return outSink;
}

/** Standard error, or the capture in force. */
export function stderr(): SyncWriter {
  return errSink;
}

/** True when standard error is the process's own and a terminal. */
export function stderrIsTerminal(): boolean {
  return errSink === Deno.stderr && Deno.stderr.isTerminal();
}

/** Writes `text` and a line end on standard error (as console.error did). */
export function printError(text: string): void {
  errSink.writeSync(encoder.encode(text + "\n"));
}

/** What `fn` wrote on standard output and standard error, as text. */
export interface Captured<T> {
  value: T;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fn` with standard output and standard error (as written through
 * this module, log.ts and Writer) collected instead of printed. Captures
 * do not nest with concurrent runs: one at a time.
 *
 * @example
 * const { value, stdout } = await captureOutput(() => main(["help"], {}));
 */
export async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<Captured<T>> {
  const out = new Collector();
  const err = new Collector();
  const saved = [outSink, errSink, readerGone] as const;
  outSink = out;
  errSink = err;
  readerGone = false;
  try {
    const value = await fn();
    return { value, stdout: out.text(), stderr: err.text() };
  } finally {
    [outSink, errSink, readerGone] = saved;
  }
}

/** Bytes written to it, kept. */
class Collector implements SyncWriter {
  #chunks: Uint8Array[] = [];
  writeSync(p: Uint8Array): number {
    this.#chunks.push(p.slice());
    return p.length;
  }
  text(): string {
    const decoder = new TextDecoder();
    return this.#chunks.map((c) => decoder.decode(c, { stream: true })).join(
      "",
    ) + decoder.decode();
  }
}

let readerGone = false;

/**
 * Prints `text` and a line end on standard output (instead of console.log,
 * whose failures would be internal errors). Once the reader has gone away,
 * printing does nothing.
 *
 * @example
 * print("loaded job 4711");
 */
export function print(text = ""): void {
  if (readerGone) return;
  try {
    writeAllSync(outSink, encoder.encode(text + "\n"), "standard output");
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    readerGone = true;
  }
}

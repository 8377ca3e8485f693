/**
 * Input and output errors said plainly, and writing output whole with the
 * two failures a command-line tool meets: a reader that went away
 * (`epmt list | head`), which ends the output quietly, and a full disk or a
 * file size limit, which is a UserError naming where the output was going
 * (not an internal error).
 */
import { UserError } from "./errors.ts";

const encoder = new TextEncoder();

/** True when `path` is a regular file (following symlinks). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
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
  const reason = message.replace(/ \(os error \d+\).*$/s, "");
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

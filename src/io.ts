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
    writeAllSync(Deno.stdout, encoder.encode(text + "\n"), "standard output");
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    readerGone = true;
  }
}

/**
 * Reading collector files line by line without holding them whole: a
 * reusable 1 MiB buffer, UTF-8 decoded as a stream. Small per-process files
 * take one read.
 */
import { closeSync, fstatSync, readSync } from "node:fs";
import { UserError } from "../errors.ts";
import { openRegularFile } from "../io.ts";
import { limits, showBytes } from "../limits.ts";

const BUFFER = new Uint8Array(1 << 20);
const decoder = new TextDecoder();

/** A problem in an input file, named by file and 1-based line. */
export class ParseError extends UserError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "ParseError";
    this.file = file;
    this.line = line;
  }
}

/**
 * Calls `fn` with each line of the file at `path` (without its newline)
 * and its 1-based number. `name` is how messages call the file. A last
 * line without its newline is a ParseError: collectors end every line, so
 * the file was cut short and its last number may be cut too. Only a regular
 * file is read (a FIFO would block, /dev/zero never end), and a line longer
 * than max_line_bytes is refused: it would have to be held whole.
 */
export function forEachLine(
  path: string,
  name: string,
  fn: (line: string, lineNo: number) => void,
  progress?: (bytesRead: number, size: number) => void,
  listedRegular = false,
): void {
  let fd: number;
  try {
    fd = openRegularFile(path, name, listedRegular);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read ${name}: ${(e as Error).message}`);
  }
  const maxLine = limits().lineBytes;
  let lineNo = 0;
  let bytes = 0;
  let size = -1;
  try {
    let carry = "";
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, BUFFER, 0, BUFFER.length, null);
      } catch (e) {
        throw new UserError(`cannot read ${name}: ${(e as Error).message}`);
      }
      if (n === 0) break;
      const text = carry + decoder.decode(BUFFER.subarray(0, n), {
        stream: true,
      });
      // A short read of a regular file is its end: saves a read per file.
      const last = n < BUFFER.length;
      bytes += n;
      if (progress && !last) {
        if (size < 0) size = fstatSync(fd).size;
        progress(bytes, size);
      }
      let from = 0;
      for (;;) {
        const nl = text.indexOf("\n", from);
        if (nl < 0) break;
        fn(text.slice(from, nl), ++lineNo);
        from = nl + 1;
      }
      carry = from === 0 ? text : text.slice(from);
      if (carry.length > maxLine) throw tooLong(name, lineNo + 1, maxLine);
      if (last) break;
    }
    const last = carry + decoder.decode();
    if (last !== "") throw cutShort(name, lineNo + 1);
  } finally {
    closeSync(fd);
  }
}

/**
 * forEachLine over a file already read whole (`bytes`, by a worker): the
 * same lines, numbers, bounds and errors.
 */
export function forEachLineIn(
  bytes: Uint8Array,
  name: string,
  fn: (line: string, lineNo: number) => void,
): void {
  const maxLine = limits().lineBytes;
  const text = decoder.decode(bytes);
  let lineNo = 0;
  let from = 0;
  for (;;) {
    const nl = text.indexOf("\n", from);
    if (nl < 0) break;
    if (nl - from > maxLine) throw tooLong(name, lineNo + 1, maxLine);
    fn(text.slice(from, nl), ++lineNo);
    from = nl + 1;
  }
  if (text.length - from > maxLine) throw tooLong(name, lineNo + 1, maxLine);
  if (from < text.length) throw cutShort(name, lineNo + 1);
}

function tooLong(name: string, line: number, maxLine: number): ParseError {
  return new ParseError(
    name,
    line,
    `line longer than ${showBytes(maxLine)}: refused (setting max_line_bytes)`,
  );
}

function cutShort(name: string, line: number): ParseError {
  return new ParseError(
    name,
    line,
    "the file ends in the middle of this line (no line end): it was cut short",
  );
}

/**
 * A copy of `s` that does not keep the (possibly large) text it was sliced
 * from alive: V8 slices share their parent string.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

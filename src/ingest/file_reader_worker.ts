/**
 * The Worker that reads small files whole, for a job of many per-process
 * files: opening, reading and closing 100,000 files costs ~9 µs each in
 * Deno's node:fs ops, more than parsing them, so a worker does it while the
 * main thread parses what it hands back (see parallel_files.ts).
 *
 * Message in: `{ id, dir, names, listed }`: the files dir + name, for
 * each name of `names` (NUL-separated: no file name holds a NUL, and one
 * string is far cheaper to pass than thousands), listed[i] = 1 when a
 * directory listing called file i a regular file. Message out:
 * `{ id, data, ends, skipped }`: the files' bytes one after another in
 * `data` (transferred), file i ending at ends[i]; skipped[i] = 1 for a file
 * not read here (bigger than WHOLE_FILE_MAX, not a regular file, or any
 * error), which the main thread reads the ordinary way, so its messages are
 * the same as without workers.
 *
 * The worker's code is JavaScript text started from a data: URL: the
 * portable bundle is one CommonJS file (no import.meta to find a module
 * file by), and the compiled binary would need it listed apart. It opens
 * files the way io.ts's openRegularFile does: without blocking, not
 * following a symlink where the listing said "regular file", else checked
 * to be a regular file.
 */

/** Files bigger than this are left to the main thread's streaming read. */
export const WHOLE_FILE_MAX = 1 << 20;

/**
 * Bytes one answer holds at most (one file may take it past by up to
 * WHOLE_FILE_MAX): the rest of its batch is left to the main thread, so
 * the answers in flight stay bounded whatever the files hold.
 */
export const BATCH_BYTES_MAX = 16 << 20;

/** What the main thread asks. */
export interface ReadRequest {
  id: number;
  /** The folder, ending in "/". */
  dir: string;
  /** File names in it, joined by NUL. */
  names: string;
  listed: Uint8Array;
}

/** What the worker answers. */
export interface ReadReply {
  id: number;
  data: Uint8Array;
  ends: Uint32Array;
  skipped: Uint8Array;
}

/** The worker module's source. */
export const WORKER_SOURCE = `
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
const MAX = ${WHOLE_FILE_MAX};
const BATCH_MAX = ${BATCH_BYTES_MAX};
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
let buffer = new Uint8Array(4 << 20);

function open(path, listed) {
  if (listed) {
    try {
      return openSync(path, FLAGS | constants.O_NOFOLLOW);
    } catch (e) {
      if (e.code !== "ELOOP") throw e;
    }
  }
  const fd = openSync(path, FLAGS);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new Error("not a regular file");
  }
  return fd;
}

function readInto(path, listed, at) {
  let fd;
  try {
    fd = open(path, listed);
  } catch {
    return -1;
  }
  try {
    let pos = at;
    for (;;) {
      if (buffer.length - pos < 65536) {
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer.subarray(0, pos));
        buffer = bigger;
      }
      const room = buffer.length - pos;
      const n = readSync(fd, buffer, pos, room, null);
      if (n === 0) return pos;
      pos += n;
      if (pos - at > MAX) return -1;
      // A regular file reads short only at its end: a short read ending a
      // line is the whole file, without the read that returns 0 (a
      // quarter of the system calls per file). Anything else reads on.
      if (n < room && buffer[pos - 1] === 10) return pos;
    }
  } catch {
    return -1;
  } finally {
    closeSync(fd);
  }
}

self.onmessage = (e) => {
  const { id, dir, listed } = e.data;
  const names = e.data.names.split("\\0");
  const n = names.length;
  const ends = new Uint32Array(n);
  const skipped = new Uint8Array(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const end = pos > BATCH_MAX
      ? -1
      : readInto(dir + names[i], listed[i] === 1, pos);
    if (end < 0) skipped[i] = 1;
    else pos = end;
    ends[i] = pos;
  }
  const data = buffer.slice(0, pos);
  self.postMessage({ id, data, ends, skipped }, [data.buffer]);
};
`;

/** The data: URL a Worker is started from. */
export function workerUrl(): string {
  return "data:text/javascript;base64," +
    btoa(String.fromCharCode(...new TextEncoder().encode(WORKER_SOURCE)));
}

/**
 * Tar bytes built by hand, for tests that need archives no library would
 * write (absolute names, "..", links, devices, damaged headers): the
 * 512-byte ustar header and pax records, as POSIX describes them.
 */

export const BLOCK = 512;

/** Member types as the typeflag byte spells them. */
export const Type = {
  FILE: "0",
  OLD_FILE: "\0",
  CONTIGUOUS: "7",
  HARD_LINK: "1",
  SYMLINK: "2",
  CHAR_DEVICE: "3",
  BLOCK_DEVICE: "4",
  DIRECTORY: "5",
  FIFO: "6",
  PAX_NEXT: "x",
  PAX_GLOBAL: "g",
  GNU_LONG_NAME: "L",
  GNU_LONG_LINK: "K",
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One pax record, its length prefix counting itself. */
export function paxRecord(key: string, value: string): Uint8Array {
  const payload = encoder.encode(` ${key}=${value}\n`);
  let len = payload.length + 1;
  while (String(len).length + payload.length !== len) len++;
  return encoder.encode(`${len}${decoder.decode(payload)}`);
}

function putText(block: Uint8Array, offset: number, length: number, s: string) {
  const bytes = encoder.encode(s);
  block.set(bytes.subarray(0, length), offset);
}

function putOctal(
  block: Uint8Array,
  offset: number,
  length: number,
  n: number,
) {
  putText(block, offset, length - 1, n.toString(8).padStart(length - 1, "0"));
}

/** The largest size an octal size field holds (11 digits). */
export const MAX_OCTAL_SIZE = 0o77777777777;

/**
 * A ustar header block. `name` must fit in 100 bytes and `size` in 11 octal
 * digits; longer names and larger sizes go in a pax header before it.
 */
export function makeHeader(h: {
  name: string;
  type: string;
  size: number;
  mode: number;
  mtime: number;
  uid?: number;
  gid?: number;
}): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putText(block, 0, 100, h.name);
  putOctal(block, 100, 8, h.mode & 0o777);
  putOctal(block, 108, 8, Math.min(h.uid ?? 0, 0o7777777));
  putOctal(block, 116, 8, Math.min(h.gid ?? 0, 0o7777777));
  putOctal(block, 124, 12, Math.min(h.size, MAX_OCTAL_SIZE));
  putOctal(block, 136, 12, Math.max(0, Math.floor(h.mtime)));
  block[156] = h.type.charCodeAt(0);
  putText(block, 257, 6, "ustar\0");
  putText(block, 263, 2, "00");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  putText(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** Bytes of a UTF-8 string. */
export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/**
 * The 512-byte tar header: ustar fields, GNU base-256 numbers, pax records.
 * Offsets and sizes follow the POSIX ustar description.
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

/** A parsed header; `name` already joins the ustar prefix. */
export interface Header {
  name: string;
  type: string;
  size: number;
  mode: number;
  linkname: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function field(block: Uint8Array, offset: number, length: number): Uint8Array {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return nul < 0 ? raw : raw.subarray(0, nul);
}

function text(block: Uint8Array, offset: number, length: number): string {
  return decoder.decode(field(block, offset, length));
}

/** An octal number field, or GNU base-256 when the high bit is set. */
function number(block: Uint8Array, offset: number, length: number): number {
  const raw = block.subarray(offset, offset + length);
  if (raw[0] & 0x80) {
    if (raw[0] === 0xff) return NaN; // negative: never valid for us
    let n = raw[0] & 0x7f;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i];
    return n;
  }
  const t = decoder.decode(raw).replace(/\0.*$/s, "").trim();
  if (t === "") return 0;
  return /^[0-7]+$/.test(t) ? parseInt(t, 8) : NaN;
}

/** True when every byte of the block is zero (an end-of-archive block). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Parses a header block; returns a reason string when it is not a valid
 * header (bad checksum or numbers).
 */
export function parseHeader(block: Uint8Array): Header | string {
  const stored = number(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) return "bad header checksum";
  const size = number(block, 124, 12);
  const mode = number(block, 100, 8);
  if (!Number.isSafeInteger(size) || Number.isNaN(mode)) {
    return "bad number in header";
  }
  let name = text(block, 0, 100);
  const magic = decoder.decode(block.subarray(257, 263));
  if (magic === "ustar\0") {
    const prefix = text(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    type: String.fromCharCode(block[156]),
    size,
    mode,
    linkname: text(block, 157, 100),
  };
}

/**
 * pax extended header records, "<length> <key>=<value>\n" each, where the
 * length counts the whole record.
 */
export function parsePax(body: Uint8Array): Map<string, string> | string {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // padding some writers leave
    const space = body.indexOf(0x20, pos);
    if (space < 0) return "bad pax record";
    const len = Number(decoder.decode(body.subarray(pos, space)));
    if (
      !Number.isInteger(len) || len <= space - pos || pos + len > body.length
    ) {
      return "bad pax record length";
    }
    const record = decoder.decode(body.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf("=");
    if (eq < 0 || body[pos + len - 1] !== 0x0a) return "bad pax record";
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return records;
}

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

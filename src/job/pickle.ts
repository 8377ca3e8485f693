/**
 * A safe decoder for Python pickles (protocols 0 to 5), written from the
 * format's public description, for the job_metadata files the Python EPMT
 * wrote. It builds plain data only: dicts, lists, tuples, sets, str, bytes,
 * int, float, bool, None and the datetime types. The only globals it knows
 * are a short whitelist of exact names (datetime.datetime, datetime.date,
 * datetime.time, datetime.timedelta, datetime.timezone, _codecs.encode for
 * latin-1 bytes, and the builtins bytes/set/frozenset); any other global and
 * every opcode that would call or build an arbitrary object (INST, OBJ,
 * NEWOBJ, BUILD, extensions, persistent ids, out-of-band buffers) is refused
 * with a PickleError. Nothing is ever executed.
 */
import { isoOffset } from "./time.ts";

/** What a pickle decodes to. Tuples and sets become arrays. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyDict
  | PyDateTime
  | PyDate
  | PyTime
  | PyTimedelta
  | PyTimezone;

/** A Python dict whose keys were str, int, bool or None (kept as text). */
export interface PyDict {
  [key: string]: PyValue;
}

/** A pickle that is malformed or asks for something we refuse to build. */
export class PickleError extends Error {
  /** Byte offset of the opcode at fault, when there is one. */
  readonly offset?: number;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = "PickleError";
    this.offset = offset;
  }
}

/** datetime.timedelta: normalized as Python does (0 <= seconds < 86400). */
export class PyTimedelta {
  constructor(
    readonly days: number,
    readonly seconds: number,
    readonly microseconds: number,
  ) {
    Object.freeze(this);
  }
  /** The whole span in seconds (fractional). */
  totalSeconds(): number {
    return this.days * 86400 + this.seconds + this.microseconds / 1e6;
  }
}

/** datetime.timezone: a fixed offset from UTC and an optional name. */
export class PyTimezone {
  constructor(readonly offset: PyTimedelta, readonly name: string | null) {
    Object.freeze(this);
  }
}

/** datetime.date. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    Object.freeze(this);
  }
  /** `YYYY-MM-DD`. */
  toISOString(): string {
    return isoDate(this.year, this.month, this.day);
  }
}

/** datetime.time, with its tzinfo (null when naive). */
export class PyTime {
  constructor(
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly tzinfo: PyTimezone | null,
  ) {
    Object.freeze(this);
  }
  /** `HH:MM:SS.ffffff[+HH:MM]`. */
  toISOString(): string {
    return isoTime(this.hour, this.minute, this.second, this.microsecond) +
      (this.tzinfo ? isoOffset(this.tzinfo.offset.totalSeconds()) : "");
  }
}

/** datetime.datetime, with its tzinfo (null when naive). */
export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    readonly tzinfo: PyTimezone | null,
  ) {
    Object.freeze(this);
  }
  /** Offset from UTC in seconds, or null for a naive datetime. */
  utcOffset(): number | null {
    return this.tzinfo ? this.tzinfo.offset.totalSeconds() : null;
  }
  /**
   * ISO 8601 with microseconds, and the offset when it has one:
   * `2026-11-25T21:20:16.879905-05:00`.
   */
  toISOString(): string {
    const offset = this.utcOffset();
    return isoDate(this.year, this.month, this.day) + "T" +
      isoTime(this.hour, this.minute, this.second, this.microsecond) +
      (offset === null ? "" : isoOffset(offset));
  }
}

/**
 * Decodes one pickle into plain data; refuses anything else.
 *
 * @example
 * const meta = decodePickle(await Deno.readFile("job_metadata"));
 */
export function decodePickle(data: Uint8Array): PyValue {
  const raw = new Unpickler(data).run();
  return finish(raw, new Map(), new Set());
}

/**
 * True when `data` looks like a pickle: a PROTO opcode first (protocol 2+),
 * or (protocols 0 and 1) an opcode first and STOP as the last byte.
 */
export function looksLikePickle(data: Uint8Array): boolean {
  if (data.length < 2) return false;
  if (data[0] === 0x80) return data[1] <= 5;
  return data[data.length - 1] === 0x2e && FIRST_OPCODES.includes(data[0]);
}

/** Opcodes a protocol 0/1 pickle may start with. */
const FIRST_OPCODES = [..."(}])NIJKLFGSTUVXc"].map((c) => c.charCodeAt(0));

// ---------------------------------------------------------------------------
// Internals: values on the stack before the final pass.

/** A Python 2 `str` (8-bit): kept as bytes until we know how it is used. */
class Str8 {
  constructor(readonly bytes: Uint8Array) {}
}

/** A dict while it is being built: keys already reduced to text. */
class RawDict {
  readonly map = new Map<string, Raw>();
}

/** A tuple (immutable) or a list/set (mutable): both end up as arrays. */
class RawSeq {
  constructor(readonly items: Raw[], readonly kind: "list" | "tuple" | "set") {}
}

/** A whitelisted callable, only usable through REDUCE. */
class Callable {
  constructor(
    readonly name: string,
    readonly call: (args: Raw[], at: number) => Raw,
  ) {}
}

type Raw =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Str8
  | RawDict
  | RawSeq
  | Callable
  | PyDateTime
  | PyDate
  | PyTime
  | PyTimedelta
  | PyTimezone;

const MARK = Symbol("mark");
type Slot = Raw | typeof MARK;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

class Unpickler {
  #data: Uint8Array;
  #view: DataView;
  #pos = 0;
  #op = 0;
  #stack: Slot[] = [];
  #memo = new Map<number, Raw>();

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): Raw {
    for (;;) {
      if (this.#pos >= this.#data.length) {
        throw new PickleError("truncated: no STOP opcode", this.#pos);
      }
      this.#op = this.#pos;
      const code = this.#data[this.#pos++];
      if (code === 0x2e /* . STOP */) {
        const value = this.#pop();
        if (this.#stack.length > 0) {
          throw this.#fail("values left on the stack at STOP");
        }
        return value;
      }
      this.#step(code);
    }
  }

  #fail(message: string): PickleError {
    return new PickleError(message, this.#op);
  }

  // -- reading the byte stream --------------------------------------------

  #take(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.#data.length) {
      throw new PickleError("truncated: data ends inside an opcode", this.#op);
    }
    const bytes = this.#data.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return bytes;
  }

  #u8(): number {
    return this.#take(1)[0];
  }

  #u16(): number {
    const b = this.#take(2);
    return b[0] | (b[1] << 8);
  }

  #i32(): number {
    this.#take(4);
    return this.#view.getInt32(this.#pos - 4, true);
  }

  #u32(): number {
    this.#take(4);
    return this.#view.getUint32(this.#pos - 4, true);
  }

  #u64(): number {
    this.#take(8);
    const n = this.#view.getBigUint64(this.#pos - 8, true);
    if (n > BigInt(this.#data.length)) {
      throw new PickleError("truncated: length beyond the data", this.#op);
    }
    return Number(n);
  }

  /** A text argument of protocol 0: bytes up to the next newline. */
  #line(): string {
    const end = this.#data.indexOf(0x0a, this.#pos);
    if (end < 0) throw this.#fail("truncated: line without newline");
    const text = latin1.decode(this.#data.subarray(this.#pos, end));
    this.#pos = end + 1;
    return text;
  }

  // -- the stack -------------------------------------------------------------

  #push(v: Raw): void {
    this.#stack.push(v);
  }

  #pop(): Raw {
    const v = this.#stack.pop();
    if (v === undefined) throw this.#fail("stack underflow");
    if (v === MARK) throw this.#fail("unexpected MARK");
    return v;
  }

  #top(): Raw {
    const v = this.#stack[this.#stack.length - 1];
    if (v === undefined) throw this.#fail("stack underflow");
    if (v === MARK) throw this.#fail("unexpected MARK");
    return v;
  }

  /** Pops everything above the topmost MARK, and the MARK. */
  #popMark(): Raw[] {
    const at = this.#stack.lastIndexOf(MARK);
    if (at < 0) throw this.#fail("no MARK on the stack");
    const items = this.#stack.splice(at) as Raw[];
    items.shift();
    return items;
  }

  #memoPut(index: number): void {
    this.#memo.set(index, this.#top());
  }

  #memoGet(index: number): void {
    if (!this.#memo.has(index)) throw this.#fail(`memo ${index} is not set`);
    this.#push(this.#memo.get(index)!);
  }

  // -- opcodes ---------------------------------------------------------------

  #step(code: number): void {
    switch (code) {
      case 0x80: { // PROTO
        const proto = this.#u8();
        if (proto > 5) throw this.#fail(`unsupported protocol ${proto}`);
        return;
      }
      case 0x95: // FRAME: advisory, we hold the whole pickle
        this.#u64();
        return;
      case 0x28: // ( MARK
        this.#stack.push(MARK);
        return;
      case 0x30: // 0 POP
        if (this.#stack.pop() === undefined) {
          throw this.#fail("stack underflow");
        }
        return;
      case 0x31: // 1 POP_MARK
        this.#popMark();
        return;
      case 0x32: // 2 DUP
        this.#push(this.#top());
        return;

      // numbers and constants
      case 0x4e: // N NONE
        return this.#push(null);
      case 0x88: // NEWTRUE
        return this.#push(true);
      case 0x89: // NEWFALSE
        return this.#push(false);
      case 0x49: { // I INT (text; I01/I00 are True/False)
        const text = this.#line();
        if (text === "01") return this.#push(true);
        if (text === "00") return this.#push(false);
        return this.#push(this.#parseInt(text));
      }
      case 0x4c: // L LONG (text, optional trailing L)
        return this.#push(this.#parseInt(this.#line().replace(/L$/, "")));
      case 0x4a: // J BININT
        return this.#push(this.#i32());
      case 0x4b: // K BININT1
        return this.#push(this.#u8());
      case 0x4d: // M BININT2
        return this.#push(this.#u16());
      case 0x8a: // LONG1
        return this.#push(this.#longBytes(this.#take(this.#u8())));
      case 0x8b: { // LONG4
        const n = this.#i32();
        if (n < 0) throw this.#fail("negative LONG4 length");
        return this.#push(this.#longBytes(this.#take(n)));
      }
      case 0x46: { // F FLOAT (text)
        const text = this.#line().trim();
        const n = text === "inf"
          ? Infinity
          : text === "-inf"
          ? -Infinity
          : text === "nan"
          ? NaN
          : Number(text);
        if (Number.isNaN(n) && text !== "nan") {
          throw this.#fail(`bad FLOAT ${JSON.stringify(text)}`);
        }
        return this.#push(n);
      }
      case 0x47: // G BINFLOAT (big-endian double)
        this.#take(8);
        return this.#push(this.#view.getFloat64(this.#pos - 8, false));

      // text and bytes
      case 0x53: // S STRING (Python repr of an 8-bit string)
        return this.#push(new Str8(this.#parseStringRepr(this.#line())));
      case 0x54: { // T BINSTRING
        const n = this.#i32();
        if (n < 0) throw this.#fail("negative BINSTRING length");
        return this.#push(new Str8(this.#take(n)));
      }
      case 0x55: // U SHORT_BINSTRING
        return this.#push(new Str8(this.#take(this.#u8())));
      case 0x56: // V UNICODE (raw-unicode-escape)
        return this.#push(rawUnicodeEscape(this.#line()));
      case 0x58: // X BINUNICODE
        return this.#push(this.#utf8(this.#take(this.#u32())));
      case 0x8c: // SHORT_BINUNICODE
        return this.#push(this.#utf8(this.#take(this.#u8())));
      case 0x8d: // BINUNICODE8
        return this.#push(this.#utf8(this.#take(this.#u64())));
      case 0x42: // B BINBYTES
        return this.#push(this.#take(this.#u32()).slice());
      case 0x43: // C SHORT_BINBYTES
        return this.#push(this.#take(this.#u8()).slice());
      case 0x8e: // BINBYTES8
        return this.#push(this.#take(this.#u64()).slice());
      case 0x96: // BYTEARRAY8
        return this.#push(this.#take(this.#u64()).slice());

      // containers
      case 0x29: // ) EMPTY_TUPLE
        return this.#push(new RawSeq([], "tuple"));
      case 0x74: // t TUPLE
        return this.#push(new RawSeq(this.#popMark(), "tuple"));
      case 0x85: // TUPLE1
        return this.#push(new RawSeq([this.#pop()], "tuple"));
      case 0x86: { // TUPLE2
        const b = this.#pop();
        const a = this.#pop();
        return this.#push(new RawSeq([a, b], "tuple"));
      }
      case 0x87: { // TUPLE3
        const c = this.#pop();
        const b = this.#pop();
        const a = this.#pop();
        return this.#push(new RawSeq([a, b, c], "tuple"));
      }
      case 0x5d: // ] EMPTY_LIST
        return this.#push(new RawSeq([], "list"));
      case 0x6c: // l LIST
        return this.#push(new RawSeq(this.#popMark(), "list"));
      case 0x61: { // a APPEND
        const item = this.#pop();
        this.#list(this.#top(), "APPEND").items.push(item);
        return;
      }
      case 0x65: { // e APPENDS
        const items = this.#popMark();
        this.#list(this.#top(), "APPENDS").items.push(...items);
        return;
      }
      case 0x8f: // EMPTY_SET
        return this.#push(new RawSeq([], "set"));
      case 0x90: { // ADDITEMS
        const items = this.#popMark();
        const set = this.#top();
        if (!(set instanceof RawSeq) || set.kind !== "set") {
          throw this.#fail("ADDITEMS on something that is not a set");
        }
        set.items.push(...items);
        return;
      }
      case 0x91: // FROZENSET
        return this.#push(new RawSeq(this.#popMark(), "tuple"));
      case 0x7d: // } EMPTY_DICT
        return this.#push(new RawDict());
      case 0x64: { // d DICT
        const items = this.#popMark();
        const dict = new RawDict();
        this.#setItems(dict, items);
        return this.#push(dict);
      }
      case 0x73: { // s SETITEM
        const value = this.#pop();
        const key = this.#pop();
        this.#setItems(this.#dict(this.#top()), [key, value]);
        return;
      }
      case 0x75: { // u SETITEMS
        const items = this.#popMark();
        this.#setItems(this.#dict(this.#top()), items);
        return;
      }

      // memo
      case 0x70: // p PUT
        return this.#memoPut(this.#index(this.#line()));
      case 0x71: // q BINPUT
        return this.#memoPut(this.#u8());
      case 0x72: // r LONG_BINPUT
        return this.#memoPut(this.#u32());
      case 0x94: // MEMOIZE
        return this.#memoPut(this.#memo.size);
      case 0x67: // g GET
        return this.#memoGet(this.#index(this.#line()));
      case 0x68: // h BINGET
        return this.#memoGet(this.#u8());
      case 0x6a: // j LONG_BINGET
        return this.#memoGet(this.#u32());

      // globals and calls: whitelisted names only
      case 0x63: { // c GLOBAL
        const module = this.#line();
        const name = this.#line();
        return this.#push(this.#global(module, name));
      }
      case 0x93: { // STACK_GLOBAL
        const name = this.#pop();
        const module = this.#pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw this.#fail("STACK_GLOBAL needs two strings");
        }
        return this.#push(this.#global(module, name));
      }
      case 0x52: { // R REDUCE
        const args = this.#pop();
        const fn = this.#pop();
        if (!(fn instanceof Callable)) {
          throw this.#fail("REDUCE of something that is not a known callable");
        }
        if (!(args instanceof RawSeq) || args.kind !== "tuple") {
          throw this.#fail(`REDUCE of ${fn.name} without an argument tuple`);
        }
        return this.#push(fn.call(args.items, this.#op));
      }
    }
    const name = REFUSED[code];
    if (name) throw this.#fail(`refusing opcode ${name}: it builds objects`);
    throw this.#fail(`unknown opcode 0x${code.toString(16).padStart(2, "0")}`);
  }

  #utf8(bytes: Uint8Array): string {
    try {
      return utf8.decode(bytes);
    } catch {
      throw this.#fail("string is not valid UTF-8");
    }
  }

  #index(text: string): number {
    if (!/^\d+$/.test(text)) throw this.#fail(`bad memo index ${text}`);
    return Number(text);
  }

  #parseInt(text: string): number | bigint {
    const t = text.trim();
    if (!/^[+-]?\d+$/.test(t)) {
      throw this.#fail(`bad integer ${JSON.stringify(text)}`);
    }
    return smallest(BigInt(t));
  }

  /** Little-endian two's complement, as LONG1/LONG4 store it. */
  #longBytes(bytes: Uint8Array): number | bigint {
    if (bytes.length === 0) return 0;
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) {
      n = (n << 8n) | BigInt(bytes[i]);
    }
    if (bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
    return smallest(n);
  }

  /** Decodes the quoted Python 2 repr that protocol 0's STRING carries. */
  #parseStringRepr(text: string): Uint8Array {
    const q = text[0];
    if ((q !== "'" && q !== '"') || text.length < 2 || text.at(-1) !== q) {
      throw this.#fail("STRING argument is not quoted");
    }
    const body = text.slice(1, -1);
    const out: number[] = [];
    for (let i = 0; i < body.length; i++) {
      const ch = body.charCodeAt(i);
      if (ch !== 0x5c /* \ */) {
        out.push(ch & 0xff);
        continue;
      }
      const e = body[++i];
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out.push(simple);
      } else if (e === "x") {
        const hex = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw this.#fail("bad \\x escape");
        out.push(parseInt(hex, 16));
        i += 2;
      } else if (e !== undefined && /[0-7]/.test(e)) {
        const oct = body.slice(i).match(/^[0-7]{1,3}/)![0];
        out.push(parseInt(oct, 8) & 0xff);
        i += oct.length - 1;
      } else {
        // Unknown escapes stay as written, as Python does.
        out.push(0x5c);
        if (e !== undefined) out.push(e.charCodeAt(0) & 0xff);
      }
    }
    return new Uint8Array(out);
  }

  #list(v: Raw, op: string): RawSeq {
    if (!(v instanceof RawSeq) || v.kind !== "list") {
      throw this.#fail(`${op} on something that is not a list`);
    }
    return v;
  }

  #dict(v: Raw): RawDict {
    if (!(v instanceof RawDict)) {
      throw this.#fail("SETITEM on something that is not a dict");
    }
    return v;
  }

  #setItems(dict: RawDict, items: Raw[]): void {
    if (items.length % 2) throw this.#fail("odd number of dict items");
    for (let i = 0; i < items.length; i += 2) {
      dict.map.set(this.#key(items[i]), items[i + 1]);
    }
  }

  /** Dict keys become text: str as is, int/bool/None as Python prints them. */
  #key(k: Raw): string {
    if (typeof k === "string") return k;
    if (k instanceof Str8) return text8(k.bytes);
    if (typeof k === "number" || typeof k === "bigint") return String(k);
    if (typeof k === "boolean") return k ? "True" : "False";
    if (k === null) return "None";
    throw this.#fail(`unsupported dict key type ${typeName(k)}`);
  }

  #global(module: string, name: string): Callable {
    const factory = WHITELIST[`${module}.${name}`];
    if (!factory) {
      throw this.#fail(
        `refusing global ${module}.${name}: only plain data and datetime types are allowed`,
      );
    }
    return new Callable(`${module}.${name}`, factory);
  }
}

function smallest(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) &&
      n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

/** A Python 2 str as text: UTF-8 when it is valid UTF-8, else latin-1. */
function text8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** Python's raw-unicode-escape: \uXXXX and \UXXXXXXXX, the rest latin-1. */
function rawUnicodeEscape(text: string): string {
  return text.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_m, u4, u8) => String.fromCodePoint(parseInt(u4 ?? u8, 16)),
  );
}

const ESCAPES: Record<string, number> = {
  "\\": 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

const REFUSED: Record<number, string> = {
  0x62: "BUILD",
  0x69: "INST",
  0x6f: "OBJ",
  0x81: "NEWOBJ",
  0x92: "NEWOBJ_EX",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

function typeName(v: Raw): string {
  if (v instanceof RawSeq) return v.kind;
  if (v instanceof RawDict) return "dict";
  if (v instanceof Str8) return "str";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Callable) return v.name;
  if (v === null) return "None";
  if (typeof v === "object") return v.constructor.name;
  return typeof v;
}

// ---------------------------------------------------------------------------
// The whitelist: exact names, each building plain data from plain arguments.

type Factory = (args: Raw[], at: number) => Raw;

function argError(what: string, at: number): PickleError {
  return new PickleError(`bad arguments for ${what}`, at);
}

function int(v: Raw | undefined, what: string, at: number): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw argError(what, at);
}

function tzArg(
  v: Raw | undefined,
  what: string,
  at: number,
): PyTimezone | null {
  if (v === undefined || v === null) return null;
  if (v instanceof PyTimezone) return v;
  throw argError(`${what} (tzinfo must be a datetime.timezone)`, at);
}

/** The packed state Python's datetime types pickle: bytes or a 2.x str. */
function state(v: Raw | undefined): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof Str8) return v.bytes;
  if (typeof v === "string" && /^[\0-\xff]*$/.test(v)) {
    return Uint8Array.from(v, (c) => c.charCodeAt(0));
  }
  return undefined;
}

function checkDate(y: number, m: number, d: number, at: number): void {
  const max = m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m - 1];
  if (y < 1 || y > 9999 || !max || d < 1 || d > max) {
    throw new PickleError(`invalid date ${y}-${m}-${d}`, at);
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function checkTime(h: number, mi: number, s: number, us: number, at: number) {
  if (h > 23 || mi > 59 || s > 59 || us > 999999 || h < 0 || mi < 0 || s < 0) {
    throw new PickleError(`invalid time ${h}:${mi}:${s}.${us}`, at);
  }
}

const makeDateTime: Factory = (args, at) => {
  const packed = state(args[0]);
  let y, mo, d, h, mi, s, us: number;
  let tz: PyTimezone | null;
  if (packed && packed.length === 10 && args.length <= 2) {
    y = packed[0] * 256 + packed[1];
    mo = packed[2] & 0x7f; // the high bit is the `fold` flag
    d = packed[3];
    h = packed[4];
    mi = packed[5];
    s = packed[6];
    us = (packed[7] << 16) | (packed[8] << 8) | packed[9];
    tz = tzArg(args[1], "datetime.datetime", at);
  } else {
    const what = "datetime.datetime";
    [y, mo, d] = [0, 1, 2].map((i) => int(args[i], what, at));
    [h, mi, s, us] = [3, 4, 5, 6].map((i) =>
      args[i] === undefined ? 0 : int(args[i], what, at)
    );
    tz = tzArg(args[7], what, at);
    if (args.length > 8) throw argError(what, at);
  }
  checkDate(y, mo, d, at);
  checkTime(h, mi, s, us, at);
  return new PyDateTime(y, mo, d, h, mi, s, us, tz);
};

const makeDate: Factory = (args, at) => {
  const packed = state(args[0]);
  let y, m, d: number;
  if (packed && packed.length === 4 && args.length === 1) {
    [y, m, d] = [packed[0] * 256 + packed[1], packed[2], packed[3]];
  } else {
    if (args.length !== 3) throw argError("datetime.date", at);
    [y, m, d] = args.map((a) => int(a, "datetime.date", at));
  }
  checkDate(y, m, d, at);
  return new PyDate(y, m, d);
};

const makeTime: Factory = (args, at) => {
  const packed = state(args[0]);
  let h, mi, s, us: number;
  let tz: PyTimezone | null;
  if (packed && packed.length === 6 && args.length <= 2) {
    h = packed[0] & 0x7f;
    [mi, s] = [packed[1], packed[2]];
    us = (packed[3] << 16) | (packed[4] << 8) | packed[5];
    tz = tzArg(args[1], "datetime.time", at);
  } else {
    [h, mi, s, us] = [0, 1, 2, 3].map((i) =>
      args[i] === undefined ? 0 : int(args[i], "datetime.time", at)
    );
    tz = tzArg(args[4], "datetime.time", at);
  }
  checkTime(h, mi, s, us, at);
  return new PyTime(h, mi, s, us, tz);
};

const makeTimedelta: Factory = (args, at) => {
  if (args.length > 3) throw argError("datetime.timedelta", at);
  const [d, s, us] = [0, 1, 2].map((i) =>
    args[i] === undefined ? 0 : int(args[i], "datetime.timedelta", at)
  );
  // Normalize as Python does: 0 <= seconds < 86400, 0 <= us < 1e6.
  const total = BigInt(d) * 86400000000n + BigInt(s) * 1000000n + BigInt(us);
  const day = 86400000000n;
  let days = total / day;
  let rest = total % day;
  if (rest < 0n) {
    rest += day;
    days -= 1n;
  }
  return new PyTimedelta(
    Number(days),
    Number(rest / 1000000n),
    Number(rest % 1000000n),
  );
};

const makeTimezone: Factory = (args, at) => {
  const offset = args[0];
  if (!(offset instanceof PyTimedelta) || args.length > 2) {
    throw argError("datetime.timezone", at);
  }
  if (Math.abs(offset.totalSeconds()) >= 86400) {
    throw new PickleError("datetime.timezone offset out of range", at);
  }
  const name = args[1];
  let label: string | null = null;
  if (typeof name === "string") label = name;
  else if (name instanceof Str8) label = text8(name.bytes);
  else if (name !== undefined && name !== null) {
    throw argError("datetime.timezone", at);
  }
  return new PyTimezone(offset, label);
};

/** Protocol 2 pickles bytes as _codecs.encode(text, "latin1"). */
const codecsEncode: Factory = (args, at) => {
  const [text, encoding] = args;
  const enc = typeof encoding === "string"
    ? encoding
    : encoding instanceof Str8
    ? text8(encoding.bytes)
    : undefined;
  if (
    typeof text !== "string" || enc === undefined ||
    !/^(latin-?1|iso-?8859-?1|l1)$/i.test(enc.replace(/_/g, "-"))
  ) {
    throw argError("_codecs.encode (only latin-1 text is accepted)", at);
  }
  if (!/^[\0-\xff]*$/.test(text)) {
    throw new PickleError("_codecs.encode: text is not latin-1", at);
  }
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
};

const makeBytes: Factory = (args, at) => {
  if (args.length === 0) return new Uint8Array(0);
  const [items] = args;
  if (
    args.length === 1 && items instanceof RawSeq &&
    items.items.every((b) => typeof b === "number" && b >= 0 && b < 256)
  ) {
    return Uint8Array.from(items.items as number[]);
  }
  throw argError("bytes", at);
};

const makeSet: Factory = (args, at) => {
  if (args.length === 0) return new RawSeq([], "set");
  const [items] = args;
  if (args.length === 1 && items instanceof RawSeq) {
    return new RawSeq([...items.items], "set");
  }
  throw argError("set", at);
};

const WHITELIST: Record<string, Factory> = {
  "datetime.datetime": makeDateTime,
  "datetime.date": makeDate,
  "datetime.time": makeTime,
  "datetime.timedelta": makeTimedelta,
  "datetime.timezone": makeTimezone,
  "_codecs.encode": codecsEncode,
  "builtins.bytes": makeBytes,
  "__builtin__.bytes": makeBytes,
  "builtins.set": makeSet,
  "__builtin__.set": makeSet,
  "builtins.frozenset": makeSet,
  "__builtin__.frozenset": makeSet,
};

// ---------------------------------------------------------------------------
// Final pass: raw values to PyValue (shared values stay shared; cycles refused)

function finish(
  v: Raw,
  done: Map<object, PyValue>,
  active: Set<object>,
): PyValue {
  if (v instanceof Str8) return text8(v.bytes);
  if (v instanceof Callable) {
    throw new PickleError(`${v.name} left uncalled in the data`);
  }
  if (!(v instanceof RawSeq) && !(v instanceof RawDict)) return v;
  const cached = done.get(v);
  if (cached !== undefined) return cached;
  if (active.has(v)) {
    throw new PickleError("self-referencing structures are not supported");
  }
  active.add(v);
  let out: PyValue;
  if (v instanceof RawSeq) {
    out = v.items.map((item) => finish(item, done, active));
  } else {
    const dict: PyDict = {};
    for (const [key, value] of v.map) {
      // defineProperty, so a key like "__proto__" stays plain data.
      Object.defineProperty(dict, key, {
        value: finish(value, done, active),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    out = dict;
  }
  active.delete(v);
  done.set(v, out);
  return out;
}

// ---------------------------------------------------------------------------
// ISO 8601 helpers, shared with the metadata code.

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function isoDate(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

function isoTime(h: number, mi: number, s: number, us: number): string {
  return `${pad(h)}:${pad(mi)}:${pad(s)}.${pad(us, 6)}`;
}

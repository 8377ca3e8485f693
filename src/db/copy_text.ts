/**
 * PostgreSQL COPY text format, written straight into bytes: fields
 * separated by tabs, rows by newlines, NULL as \N, and backslash, tab,
 * newline and carriage return escaped. Numbers and ASCII text are written
 * without making strings, so a million rows cost little more than their
 * bytes.
 */
import type { SqlValue } from "./store.ts";

const TAB = 9;
const NL = 10;
const CR = 13;
const BACKSLASH = 92;
const encoder = new TextEncoder();

/** Accumulates rows as COPY text bytes; `take` hands over what is there. */
export class CopyEncoder {
  #buf: Uint8Array;
  #pos = 0;
  #digits = new Uint8Array(24);

  constructor(capacity = 1 << 20) {
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes waiting to be taken. */
  get size(): number {
    return this.#pos;
  }

  /** Appends one row of `width` values from `values`. */
  row(values: readonly SqlValue[], width: number): void {
    for (let k = 0; k < width; k++) {
      if (k > 0) this.#byte(TAB);
      const v = values[k];
      if (v === null) this.#nul();
      else if (typeof v === "number") this.#number(v);
      else this.#text(v);
    }
    this.#byte(NL);
  }

  /** The bytes so far (a copy), and starts afresh. */
  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#pos);
    this.#pos = 0;
    return out;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = new Uint8Array(
      Math.max(this.#buf.length * 2, this.#pos + n),
    );
    bigger.set(this.#buf.subarray(0, this.#pos));
    this.#buf = bigger;
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = b;
  }

  #nul(): void {
    this.#room(2);
    this.#buf[this.#pos++] = BACKSLASH;
    this.#buf[this.#pos++] = 78; // N
  }

  #number(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.#text(String(v));
      return;
    }
    this.#room(21);
    const buf = this.#buf;
    let p = this.#pos;
    if (v < 0) {
      buf[p++] = 45; // -
      v = -v;
    }
    if (v < 10) {
      buf[p++] = 48 + v;
      this.#pos = p;
      return;
    }
    // Digits last to first; below 2^31 in small-integer arithmetic (most
    // counters), above it in doubles.
    const d = this.#digits;
    let n = 0;
    while (v >= 0x80000000) {
      const q = Math.floor(v / 10);
      d[n++] = 48 + (v - q * 10);
      v = q;
    }
    let w = v | 0;
    while (w > 0) {
      const q = (w / 10) | 0;
      d[n++] = 48 + (w - q * 10);
      w = q;
    }
    while (n > 0) buf[p++] = d[--n];
    this.#pos = p;
  }

  #text(s: string): void {
    const len = s.length;
    this.#room(len * 2);
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) {
        this.#pos = p;
        this.#unicode(s.slice(i));
        return;
      }
      if (c === BACKSLASH || c === TAB || c === NL || c === CR) {
        buf[p++] = BACKSLASH;
        buf[p++] = c === BACKSLASH
          ? BACKSLASH
          : c === TAB
          ? 116
          : c === NL
          ? 110
          : 114;
      } else {
        buf[p++] = c;
      }
    }
    this.#pos = p;
  }

  /** Text with non-ASCII characters: escaped as a string, then UTF-8. */
  #unicode(s: string): void {
    const escaped = s.replace(
      /[\\\t\n\r]/g,
      (ch) =>
        ch === "\\"
          ? "\\\\"
          : ch === "\t"
          ? "\\t"
          : ch === "\n"
          ? "\\n"
          : "\\r",
    );
    this.#room(escaped.length * 3);
    this.#pos += encoder.encodeInto(escaped, this.#buf.subarray(this.#pos))
      .written;
  }
}

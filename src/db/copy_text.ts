/**
 * PostgreSQL COPY text format: fields separated by tabs, rows by newlines,
 * NULL as \N, and backslash, tab, newline and carriage return escaped.
 */
import type { SqlValue } from "./store.ts";

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/** One value as a COPY text field. */
export function copyField(v: SqlValue): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return "" + v;
  return NEEDS_ESCAPE.test(v) ? v.replace(ESCAPES, (ch) => ESCAPED[ch]) : v;
}

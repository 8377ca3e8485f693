/**
 * A numeric field of a collector line that is not a plain whole number:
 * empty, negative, fractional, or not a number at all. The CSV and TSV
 * readers read plain whole numbers (nearly every field) in their own loops,
 * where the compiler keeps them inline, and hand the rest to readNumber(),
 * so both accept and refuse the same things with the same messages.
 */

/**
 * Largest magnitude of a column stored as `int` (PostgreSQL's integer;
 * SQLite would take more, so both refuse the same).
 */
export const INT_LIMIT = 2 ** 31 - 1;
/**
 * Largest whole number read exactly (bigint columns come back as
 * JavaScript numbers; beyond it SQLite would store a REAL).
 */
export const WHOLE_LIMIT = Number.MAX_SAFE_INTEGER;
/** Extra metrics may be fractions: any finite number. */
export const EXTRA_LIMIT = Number.MAX_VALUE;

/** Where a field ends, for a number that is not a plain integer. */
export type FieldEnd = (line: string, from: number) => number;

/** A reading position in a line, and why the last field was refused. */
export class NumberCursor {
  /** The index the next read starts at; moved past the field's number. */
  p = 0;
  /** Why the last field was not a number; "" when it was one. */
  error = "";
}

/**
 * Reads the number at `cur.p` in `line` up to the separator `sep` (a
 * character code) and moves `cur.p` to that separator. Whole decimal
 * numbers are read by hand; anything else (1.5, 1e3, +2, " 7") by Number()
 * up to `fieldEnd`. Returns NaN for an empty field. A field that is not a
 * number (or, with `whole`, not an integer), or whose magnitude is beyond
 * `limit`, sets `cur.error`, naming it as `<noun> <name>`, and returns NaN.
 * The readers' own loops send a plain number beyond its limit here too.
 *
 * @example
 * const cur = new NumberCursor();
 * readNumber("12,x", cur, 44, (l, p) => l.indexOf(",", p), "column", "pid", true, WHOLE_LIMIT); // 12, cur.p === 2
 */
export function readNumber(
  line: string,
  cur: NumberCursor,
  sep: number,
  fieldEnd: FieldEnd,
  noun: string,
  name: string,
  whole: boolean,
  limit: number,
): number {
  const len = line.length;
  const start = cur.p;
  let p = start;
  let c = line.charCodeAt(p);
  const negative = c === 45;
  if (negative) c = line.charCodeAt(++p);
  const digits = p;
  let v = 0;
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = line.charCodeAt(++p);
  }
  if (p < len && c !== sep) {
    const e = fieldEnd(line, p);
    const text = line.slice(start, e);
    v = text.trim() === "" ? NaN : Number(text);
    if (v !== v) {
      cur.error = `${noun} ${name}: ${JSON.stringify(text)} is not a number`;
      return NaN;
    }
    if (whole && !Number.isInteger(v)) {
      cur.error = `${noun} ${name}: ${text} is not a whole number`;
      return NaN;
    }
    p = e;
  } else if (p === digits) {
    if (negative) {
      cur.error = `${noun} ${name}: "-" is not a number`;
      return NaN;
    }
    v = NaN;
  } else if (negative) {
    v = -v;
  }
  if (v > limit || v < -limit) {
    const bound = limit === EXTRA_LIMIT
      ? "not a finite number"
      : `its magnitude is at most ${limit}`;
    cur.error = `${noun} ${name}: ${
      line.slice(start, p)
    } is out of range (${bound})`;
    return NaN;
  }
  cur.p = p;
  return v;
}

/**
 * papiex CSV: a header line, then per process one row per thread. The
 * first row of a process carries every column; its thread rows leave the
 * per-process columns empty, and `numtids` says how many rows there are.
 * One file may hold many processes one after another (the concatenated
 * form), and a repeated header line is allowed. Escaping is backslash
 * style, not RFC 4180: `\,` is a comma inside a field, `\\` a backslash,
 * and \a \b \f \n \r \t \v the control characters.
 */
import { forEachLine, forEachLineIn, ParseError } from "./lines.ts";
import { type HeaderMap, mapHeader, R_EXTRA, R_TID } from "./header.ts";
import { F_NUMTIDS, F_PID, type ProcessTable } from "./process_table.ts";
import { RowWriter, threadJson } from "./row_writer.ts";
import { NumberCursor, readNumber } from "./number_field.ts";

const COMMA = 44;
const BACKSLASH = 92;

const UNESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  ",": ",",
};

/**
 * Decodes one CSV field's backslash escapes; an unknown escape is kept as
 * written.
 *
 * @example
 * unescapeCsv("a\\,b\\nc"); // "a,b\nc"
 */
export function unescapeCsv(field: string): string {
  return field.replace(
    /\\([\s\S]?)/g,
    (all, ch: string) => UNESCAPES[ch] ?? all,
  );
}

/**
 * Splits a CSV line into unescaped fields (the slow, general way; the
 * reader scans lines in place instead).
 *
 * @example
 * splitCsvLine("a\\,b,c"); // ["a,b", "c"]
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let from = 0;
  let escaped = false;
  for (let p = 0; p <= line.length; p++) {
    const c = line.charCodeAt(p);
    if (p === line.length || c === COMMA) {
      const raw = line.slice(from, p);
      fields.push(escaped ? unescapeCsv(raw) : raw);
      from = p + 1;
      escaped = false;
    } else if (c === BACKSLASH && p + 1 < line.length) {
      escaped = true;
      p++;
    }
  }
  return fields;
}

/** Reads papiex CSV files into one job's ProcessTable. */
export class PapiexCsvReader {
  readonly #writer: RowWriter;
  readonly #table: ProcessTable;
  /** Headers seen in this job, by their text (files share a few). */
  #headers = new Map<string, HeaderMap>();
  #last?: HeaderMap;
  #lastText = "";
  #nums = new Float64Array(64);
  #texts: string[] = [];
  #cursor = new NumberCursor();

  constructor(writer: RowWriter) {
    this.#writer = writer;
    this.#table = writer.table;
  }

  /** Called while a large file is read: bytes so far, file size. */
  progress?: (bytesRead: number, size: number) => void;

  /**
   * Reads the file at `path`; `name` is how messages call it.
   * `listedRegular`: a directory listing said it is a regular file.
   * `whole`: its content, already read (by a worker).
   */
  readFile(
    path: string,
    name: string,
    listedRegular = false,
    whole?: Uint8Array,
  ): void {
    const table = this.#table;
    const file = table.fileIndex(name);
    let header: HeaderMap | undefined;
    let headerText = "";
    let current = -1;
    let currentLine = 0;
    let expected = 0;
    let seen = 0;
    let threadRows: string[] = [];
    let lastLine = 0;
    const incomplete = (line: number) =>
      new ParseError(
        name,
        line,
        `the process at line ${currentLine} (pid ${
          table.get(current, F_PID)
        }) has ${seen} of its ${expected} thread rows`,
      );

    const onLine = (line: string, no: number) => {
      lastLine = no;
      if (line === "") return;
      if (header === undefined || line === headerText) {
        if (seen < expected) throw incomplete(no);
        header = this.#header(line, name, no);
        headerText = line;
        return;
      }
      const problem = this.#scan(line, header);
      if (problem) {
        if (isHeaderLine(line)) {
          if (seen < expected) throw incomplete(no);
          header = this.#header(line, name, no);
          headerText = line;
          return;
        }
        throw new ParseError(name, no, problem);
      }
      const nums = this.#nums;
      if (nums[header.pid] === nums[header.pid]) {
        if (seen < expected) throw incomplete(no);
        const r = this.#writer.addProcess(
          header,
          nums,
          this.#texts,
          file,
          no,
        );
        if (typeof r === "string") throw new ParseError(name, no, r);
        current = r;
        currentLine = no;
        expected = table.get(r, F_NUMTIDS);
        seen = 1;
        if (expected > 1) threadRows = [threadJson(header, nums)];
      } else {
        if (current < 0) {
          throw new ParseError(
            name,
            no,
            "a thread row (empty pid) before any process row",
          );
        }
        if (seen >= expected) {
          throw new ParseError(
            name,
            no,
            `a thread row beyond the ${expected} declared (numtids) by the process at line ${currentLine}`,
          );
        }
        const bad = this.#writer.addThread(header, nums, current);
        if (bad) throw new ParseError(name, no, bad);
        threadRows.push(threadJson(header, nums));
        if (++seen === expected) {
          table.threads[current] = "[" + threadRows.join(",") + "]";
          threadRows = [];
        }
      }
    };
    if (whole) forEachLineIn(whole, name, onLine);
    else forEachLine(path, name, onLine, this.progress, listedRegular);
    if (seen < expected) throw incomplete(lastLine);
    if (header === undefined) {
      throw new ParseError(name, 1, "empty file: no header line");
    }
  }

  #header(line: string, name: string, no: number): HeaderMap {
    // Most files of a job share one header: compare before hashing.
    if (line === this.#lastText && this.#last) return this.#last;
    let h = this.#headers.get(line);
    if (!h) {
      const mapped = mapHeader(splitCsvLine(line), this.#table);
      if (typeof mapped === "string") throw new ParseError(name, no, mapped);
      h = mapped;
      this.#headers.set(line, h);
    }
    if (this.#nums.length < h.names.length) {
      this.#nums = new Float64Array(h.names.length);
    }
    this.#last = h;
    this.#lastText = line;
    return h;
  }

  /**
   * Scans one data line in place into #nums and #texts; returns a problem
   * text or "". Numbers are parsed from the characters without slicing.
   */
  #scan(line: string, h: HeaderMap): string {
    const roles = h.roles;
    const limits = h.limits;
    const n = roles.length;
    const nums = this.#nums;
    const texts = this.#texts;
    const len = line.length;
    const cur = this.#cursor;
    cur.error = "";
    let pos = 0;
    for (let k = 0; k < n; k++) {
      if (pos > len) return `expected ${n} fields, found ${k}`;
      const role = roles[k];
      let p = pos;
      if (role < 0 && role !== R_TID) {
        let escaped = false;
        for (; p < len; p++) {
          const c = line.charCodeAt(p);
          if (c === COMMA) break;
          if (c === BACKSLASH) {
            escaped = true;
            p++;
          }
        }
        if (p > len) p = len;
        texts[k] = p === pos
          ? ""
          : escaped
          ? unescapeCsv(line.slice(pos, p))
          : line.slice(pos, p);
      } else {
        // A plain whole number, the usual field, is read right here;
        // anything else (empty, negative, 1.5, bad) by readNumber().
        let v = 0;
        let c = line.charCodeAt(p);
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = line.charCodeAt(++p);
        }
        if (p === pos || (p < len && c !== COMMA) || v > limits[k]) {
          cur.p = pos;
          v = readNumber(
            line,
            cur,
            COMMA,
            csvFieldEnd,
            "column",
            h.names[k],
            role < R_EXTRA,
            limits[k],
          );
          if (cur.error) return cur.error;
          p = cur.p;
        }
        nums[k] = v;
      }
      pos = p + 1;
    }
    if (pos <= len) {
      return `expected ${n} fields, found ${splitCsvLine(line).length}`;
    }
    return "";
  }
}

/** A CSV field ends at the next comma, or at the end of the line. */
function csvFieldEnd(line: string, from: number): number {
  const e = line.indexOf(",", from);
  return e < 0 ? line.length : e;
}

/** A header line repeated inside a file (files concatenated with cat). */
function isHeaderLine(line: string): boolean {
  const fields = splitCsvLine(line);
  return fields.includes("pid") && fields.includes("hostname");
}

/**
 * papiex collated TSV (PAPIEX_OPTIONS=COLLATED_TSV): `<host>-papiex.tsv`
 * with one line per process and no header, described by
 * `<host>-papiex-header.tsv`. A line's first field is `{v1,v2,...}`, the
 * metric values named by the header's first field (for a process with
 * several threads, each thread's values one after another); then tab-separated
 * fields. Text fields are kept exactly as written: this form escapes
 * control characters but not backslashes, so it cannot be decoded without
 * ambiguity.
 */
import { UserError } from "../errors.ts";
import { readRegularFile } from "../io.ts";
import { limits } from "../limits.ts";
import { forEachLine, ParseError } from "./lines.ts";
import { type HeaderMap, mapHeader, R_EXTRA, R_TID } from "./header.ts";
import { F_NUMTIDS } from "./process_table.ts";
import { RowWriter, threadJson } from "./row_writer.ts";
import { NumberCursor, readNumber } from "./number_field.ts";

const TAB = 9;
const COMMA = 44;
const CLOSE = 125; // "}"

/**
 * A multi-threaded process's {...} holds every thread's metric values, one
 * thread after another. Returns the line with only the first thread's
 * values, and the later threads' values; undefined when the array does not
 * have that shape.
 */
function splitThreads(
  line: string,
  metrics: number,
): [string, string[]] | undefined {
  const close = line.indexOf("}");
  if (line.charCodeAt(0) !== 123 || close < 0) return undefined;
  const values = line.slice(1, close).split(",");
  if (values.length <= metrics || values.length % metrics !== 0) {
    return undefined;
  }
  const first = "{" + values.slice(0, metrics).join(",") + line.slice(close);
  return [first, values.slice(metrics)];
}

/** The header file that describes `<host>-papiex.tsv`. */
export function tsvHeaderPath(dataPath: string): string {
  return dataPath.replace(/\.tsv$/, "-header.tsv");
}

/** Reads collated TSV files into one job's ProcessTable. */
export class PapiexTsvReader {
  readonly #writer: RowWriter;
  #nums = new Float64Array(64);
  #texts: string[] = [];
  #cursor = new NumberCursor();

  /** Called while a large file is read: bytes so far, file size. */
  progress?: (bytesRead: number, size: number) => void;

  constructor(writer: RowWriter) {
    this.#writer = writer;
  }

  /**
   * Reads the data file at `path` with its header file `headerPath`;
   * `name` and `headerName` are how messages call them.
   */
  readFile(
    path: string,
    name: string,
    headerPath: string,
    headerName: string,
  ): void {
    const h = this.#header(headerPath, headerName);
    const metrics = h.metricColumns.length;
    const table = this.#writer.table;
    const file = table.fileIndex(name);
    if (this.#nums.length < h.names.length) {
      this.#nums = new Float64Array(h.names.length);
    }
    forEachLine(path, name, (line, no) => {
      if (line === "") return;
      let problem = this.#scan(line, h, metrics);
      let threads: string[] | undefined;
      if (problem) {
        const split = splitThreads(line, metrics);
        if (!split) throw new ParseError(name, no, problem);
        [line, threads] = split;
        problem = this.#scan(line, h, metrics);
        if (problem) throw new ParseError(name, no, problem);
      }
      const r = this.#writer.addProcess(h, this.#nums, this.#texts, file, no);
      if (typeof r === "string") throw new ParseError(name, no, r);
      if (threads) {
        problem = this.#addThreads(h, r, threads);
        if (problem) throw new ParseError(name, no, problem);
      }
    }, this.progress);
  }

  /**
   * Folds the values of a process's later threads (`metrics` values each,
   * in header order) into row `r`, and keeps every thread's values.
   */
  #addThreads(h: HeaderMap, r: number, threads: string[]): string {
    const table = this.#writer.table;
    const numtids = table.get(r, F_NUMTIDS);
    const metrics = h.metricColumns.length;
    if (numtids !== threads.length / metrics + 1) {
      return `numtids is ${numtids} but {...} holds the values of ${
        threads.length / metrics + 1
      } threads`;
    }
    const rows = [threadJson(h, this.#nums)];
    const nums = new Float64Array(h.names.length).fill(NaN);
    for (let t = 0; t < threads.length; t += metrics) {
      for (let i = 0; i < metrics; i++) {
        const text = threads[t + i];
        const v = text.trim() === "" ? NaN : Number(text);
        if (v !== v) {
          return `field ${h.names[h.metricColumns[i]]}: ${
            JSON.stringify(text)
          } is not a number`;
        }
        nums[h.metricColumns[i]] = v;
      }
      const bad = this.#writer.addThread(h, nums, r);
      if (bad) return bad;
      rows.push(threadJson(h, nums));
    }
    table.threads[r] = "[" + rows.join(",") + "]";
    return "";
  }

  #header(path: string, name: string): HeaderMap {
    let text: string;
    try {
      text = new TextDecoder().decode(
        readRegularFile(path, name, limits().lineBytes, "max_line_bytes"),
      );
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot read ${name}: ${(e as Error).message}`);
    }
    const line = text.split("\n")[0];
    const fields = line.split("\t");
    const braced = fields[0];
    if (!braced.startsWith("{") || !braced.endsWith("}")) {
      throw new ParseError(
        name,
        1,
        "expected the metric names as {name,name,...} in the first field",
      );
    }
    const names = [...braced.slice(1, -1).split(","), ...fields.slice(1)];
    if (names.includes("")) {
      throw new ParseError(name, 1, "an empty column name in the header");
    }
    const h = mapHeader(names, this.#writer.table);
    if (typeof h === "string") throw new ParseError(name, 1, h);
    if (h.metricColumns.length !== names.length - (fields.length - 1)) {
      throw new ParseError(
        name,
        1,
        "a per-process column name appears among the {metric} names",
      );
    }
    return h;
  }

  /** Scans one line into #nums/#texts; returns a problem text or "". */
  #scan(line: string, h: HeaderMap, metrics: number): string {
    const roles = h.roles;
    const limits = h.limits;
    const n = roles.length;
    const nums = this.#nums;
    const texts = this.#texts;
    const len = line.length;
    if (line.charCodeAt(0) !== 123) {
      return "expected {metric values} at the start of the line";
    }
    const cur = this.#cursor;
    cur.error = "";
    let pos = 1;
    for (let k = 0; k < n; k++) {
      const inBraces = k < metrics;
      const sep = inBraces ? (k === metrics - 1 ? CLOSE : COMMA) : TAB;
      if (pos > len) {
        return k < metrics
          ? `expected ${metrics} metric values in {...}`
          : `expected ${n - metrics} tab-separated fields after {...}, found ${
            k - metrics
          }`;
      }
      const role = roles[k];
      let p = pos;
      if (role < 0 && role !== R_TID) {
        // The last column takes the rest of the line (args may hold tabs).
        let e = k === n - 1 ? len : line.indexOf("\t", p);
        if (e < 0) e = len;
        texts[k] = line.slice(p, e);
        p = e;
      } else {
        // A plain whole number, the usual field, is read right here;
        // anything else (empty, negative, 1.5, bad) by readNumber().
        let v = 0;
        let c = line.charCodeAt(p);
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          c = line.charCodeAt(++p);
        }
        if (p === pos || (p < len && c !== sep) || v > limits[k]) {
          cur.p = pos;
          v = readNumber(
            line,
            cur,
            sep,
            tsvFieldEnd,
            "field",
            h.names[k],
            role < R_EXTRA,
            limits[k],
          );
          if (cur.error) return cur.error;
          p = cur.p;
        }
        nums[k] = v;
      }
      if (p < len && line.charCodeAt(p) !== sep) {
        return inBraces
          ? `expected ${metrics} metric values in {...}`
          : `expected ${n - metrics} tab-separated fields after {...}`;
      }
      if (inBraces && k === metrics - 1) {
        p++; // past "}" to its tab
        if (p < len && line.charCodeAt(p) !== TAB) {
          return "expected a tab after {...}";
        }
      }
      pos = p + 1;
    }
    if (pos <= len) {
      return `expected ${
        n - metrics
      } tab-separated fields after {...}, found more`;
    }
    return "";
  }
}

/**
 * A TSV metric ends at a tab, or inside the {...} at a comma or the
 * closing brace, whichever separator it is followed by.
 */
function tsvFieldEnd(line: string, from: number): number {
  let e = from;
  while (e < line.length) {
    const d = line.charCodeAt(e);
    if (d === TAB || d === COMMA || d === CLOSE) break;
    e++;
  }
  return e;
}

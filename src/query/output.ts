/**
 * Where and how a query command prints: a table for people by default,
 * `--json` or `--csv` for scripts. Output goes through one buffered writer
 * so a 200,000-line export is not 200,000 writes.
 */
import { UsageError } from "../errors.ts";
import { stdout, type SyncWriter, writeAllSync } from "../io.ts";
import { csvLine, renderJson } from "./table.ts";

/** The three forms of output. */
export type Format = "table" | "json" | "csv";

/**
 * The format asked for by --json / --csv (at most one); `csv` false for
 * commands whose output has no rows to put in CSV.
 */
export function formatOf(
  command: string,
  opts: { json?: boolean; csv?: boolean },
  csv = true,
): Format {
  if (opts.json && opts.csv) {
    throw new UsageError(`${command}: give --json or --csv, not both`);
  }
  if (opts.csv && !csv) throw new UsageError(`${command}: has no --csv form`);
  return opts.json ? "json" : opts.csv ? "csv" : "table";
}

const encoder = new TextEncoder();

/** Buffered text output to a file or stdout. */
export class Writer {
  #file: SyncWriter | undefined;
  #name: string;
  #parts: string[] = [];
  #size = 0;

  /**
   * Writes to `file` (anything with writeSync), stdout by default; `name`
   * is said when a write fails.
   */
  constructor(file?: SyncWriter, name = "standard output") {
    this.#file = file;
    this.#name = name;
  }

  /** Adds text; flushed when about 1 MiB has gathered. */
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 1 << 20) this.flush();
  }

  /** Adds a line. */
  line(text = ""): void {
    this.write(text + "\n");
  }

  /** Writes out what has gathered. */
  flush(): void {
    if (this.#parts.length === 0) return;
    const bytes = encoder.encode(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
    try {
      writeAllSync(this.#file ?? stdout(), bytes, this.#name);
    } catch (e) {
      // The reader went away (`epmt list | head`): drop the rest quietly.
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
      this.#file = { writeSync: (p) => p.length };
    }
  }
}

/**
 * Prints records as JSON (an array) or CSV (header of `columns`), or a
 * table made by `table` when the format is "table".
 */
export function printRecords(
  format: Format,
  columns: readonly string[],
  records: readonly Record<string, unknown>[],
  table: () => string,
): void {
  const w = new Writer();
  if (format === "json") w.line(renderJson(records));
  else if (format === "csv") {
    w.line(csvLine(columns));
    for (const r of records) w.line(csvLine(columns.map((c) => r[c])));
  } else {
    const text = table();
    if (text !== "") w.line(text);
  }
  w.flush();
}

/**
 * Output in the three forms the query commands offer: an aligned table for
 * people, CSV (RFC 4180) and JSON for scripts.
 */

/** One column of a human-readable table. */
export interface TableColumn {
  /** Heading, printed in capitals as given. */
  title: string;
  /** Numbers are right-aligned; text left. @default "left" */
  align?: "left" | "right";
}

/**
 * An aligned table: a heading line, then one line per row, columns two
 * spaces apart, trailing blanks trimmed. Every cell must be one line.
 *
 * @example
 * renderTable([{ title: "JOB" }, { title: "CPU", align: "right" }], [["a", "1.2 s"]]);
 * // "JOB    CPU\na    1.2 s"
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  indent = "",
): string {
  const widths = columns.map((c, i) =>
    Math.max(width(c.title), ...rows.map((r) => width(r[i] ?? "")))
  );
  const line = (cells: readonly string[]) =>
    indent + columns.map((c, i) => {
      const cell = cells[i] ?? "";
      const pad = " ".repeat(widths[i] - width(cell));
      return c.align === "right" ? pad + cell : cell + pad;
    }).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join("\n");
}

/**
 * Label/value lines, the labels padded to one width:
 * `Wall time:   1.23 s`.
 *
 * @example
 * renderFields([["Job", "42"], ["User", "alice"]]); // "Job:   42\nUser:  alice"
 */
export function renderFields(
  fields: readonly (readonly [string, string])[],
): string {
  const w = Math.max(0, ...fields.map(([k]) => width(k))) + 1;
  return fields.map(([k, v]) => `${(k + ":").padEnd(w + 1)} ${v}`.trimEnd())
    .join("\n");
}

/** Printed width of `s`: one column per code point (no wide characters). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF;
 * null is empty; objects are JSON text.
 *
 * @example
 * csvField('a,"b"'); // '"a,""b"""'
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string"
    ? v
    : typeof v === "object"
    ? JSON.stringify(v)
    : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * One CSV line (without its line end) from values.
 *
 * @example
 * csvLine(["a", 1, null]); // "a,1,"
 */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(",");
}

/**
 * A whole CSV document: a header of `columns`, then one line per record
 * (looked up by column name), CRLF-free (LF line ends).
 */
export function renderCsv(
  columns: readonly string[],
  records: readonly Record<string, unknown>[],
): string {
  return [
    csvLine(columns),
    ...records.map((r) => csvLine(columns.map((c) => r[c]))),
  ]
    .join("\n");
}

/** Pretty JSON, two-space indented, as every --json prints. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

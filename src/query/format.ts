/**
 * Values as a person reads them in a table: durations, byte sizes, counts,
 * dates, shortened text. Scripts get raw numbers (--json, --csv) instead.
 */

/** What an absent value (SQL NULL) looks like in a table. */
export const NONE = "-";

/**
 * A duration given in microseconds, with about three significant digits:
 * "850 µs", "12.3 ms", "4.56 s", "12m34s", "3h04m", "2d05h".
 *
 * @example
 * humanDuration(1_500_000); // "1.50 s"
 */
export function humanDuration(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return NONE;
  const sign = us < 0 ? "-" : "";
  const a = Math.abs(us);
  // Bounds chosen so that rounding never prints "1000 ms" or "60.0 s".
  if (a < 999.5) return `${sign}${Math.round(a)} µs`;
  if (a < 999_500) return `${sign}${sig3(a / 1000)} ms`;
  if (a < 59_500_000) return `${sign}${sig3(a / 1e6)} s`;
  const s = Math.round(a / 1e6);
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  const m = Math.round(s / 60);
  if (m < 24 * 60) return `${sign}${Math.floor(m / 60)}h${pad2(m % 60)}m`;
  const h = Math.round(m / 60);
  return `${sign}${Math.floor(h / 24)}d${pad2(h % 24)}h`;
}

/**
 * A size in bytes with binary prefixes: "0 B", "512 B", "1.50 KiB",
 * "20.0 MiB".
 *
 * @example
 * humanBytes(20 * 1024 * 1024); // "20.0 MiB"
 */
export function humanBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return NONE;
  }
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = bytes < 0 ? "-" : "";
  if (u === 0) return `${sign}${Math.round(v)} B`;
  // 1023.9 KiB would print as "1.02e+3": show the next unit instead.
  if (sig3(v) === "1024" && u < units.length - 1) {
    return `${sign}1.00 ${units[u + 1]}`;
  }
  return `${sign}${sig3(v)} ${units[u]}`;
}

/**
 * A count with thousands separators: "200,000".
 *
 * @example
 * humanCount(1234567); // "1,234,567"
 */
export function humanCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE;
  const neg = n < 0;
  const [int, frac] = String(Math.abs(n)).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + grouped + (frac === undefined ? "" : "." + frac);
}

/**
 * A ratio with three significant digits ("1.23", "0.0456", "123"); "inf"
 * for x/0 and "-" when both are missing or zero.
 *
 * @example
 * humanRatio(2.5); // "2.50"
 */
export function humanRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || Number.isNaN(r)) return NONE;
  if (!Number.isFinite(r)) return r > 0 ? "inf" : "-inf";
  if (r === 0) return "0";
  if (Math.abs(r) < 0.001) return r < 0 ? ">-0.001" : "<0.001";
  return sig3(r);
}

/**
 * A time (µs since the epoch) in local time, to the second:
 * "2026-11-25 21:20:16".
 *
 * @example
 * humanTime(0); // "1970-01-01 00:00:00" where TZ=UTC
 */
export function humanTime(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return NONE;
  const d = new Date(Math.floor(us / 1000));
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${
    pad2(d.getHours())
  }:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/**
 * A time (µs since the epoch) as ISO 8601 in UTC with microseconds, for
 * CSV and JSON readers that want a date rather than a number.
 *
 * @example
 * isoTime(1_500_000); // "1970-01-01T00:00:01.500000Z"
 */
export function isoTime(us: number | null | undefined): string | null {
  if (us === null || us === undefined || !Number.isFinite(us)) return null;
  const ms = Math.floor(us / 1000);
  const micros = String(((us % 1e6) + 1e6) % 1e6).padStart(6, "0");
  return new Date(ms).toISOString().slice(0, 19) + "." + micros + "Z";
}

/**
 * `text` on one line and at most `width` characters: control characters
 * shown as in C (`\n`, `\t`), the middle cut with "…" when too long so both
 * ends stay visible.
 *
 * @example
 * shorten("a very long argument list", 12); // "a very …list"
 */
export function shorten(
  text: string | null | undefined,
  width: number,
): string {
  if (text === null || text === undefined) return "";
  const flat = oneLine(text);
  if (width <= 0 || flat.length <= width) return flat;
  if (width < 4) return flat.slice(0, width);
  const head = Math.ceil((width - 1) * 0.6);
  const tail = width - 1 - head;
  return flat.slice(0, head) + "…" + (tail > 0 ? flat.slice(-tail) : "");
}

const ESCAPES: Record<string, string> = {
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\v": "\\v",
};

/** `text` with its control characters made visible, on one line. */
export function oneLine(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f]/g,
    (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/**
 * Tags `{k: v, ...}` as `k:v;k2:v2` (keys sorted), the form EPMT_JOB_TAGS
 * and PAPIEX_TAGS use.
 *
 * @example
 * tagsText({ op: "ocean", op_instance: "2" }); // "op:ocean;op_instance:2"
 */
export function tagsText(
  tags: Record<string, unknown> | null | undefined,
): string {
  if (!tags) return "";
  // Sorted: PostgreSQL's jsonb keeps keys in its own order, SQLite in
  // insertion order, and the two should print alike.
  return Object.entries(tags).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${k}:${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(";");
}

/** Three significant digits, never in exponent form above 1e-6. */
function sig3(v: number): string {
  if (Math.abs(v) >= 999.5) return String(Math.round(v));
  const s = v.toPrecision(3);
  return s.includes("e") ? v.toExponential(2) : s;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Says what a file is from its first bytes, for the error when a file
 * named like an archive is not one (a log saved as x.tgz, a .tar.bz2
 * renamed .tgz): "it is bzip2-compressed", "it begins with text ...".
 */

const READS = "(epmt reads .tgz, .tar.gz and .tar)";

/** Compressed and archive formats by their leading magic bytes. */
const MAGIC: [number[], string][] = [
  [[0x42, 0x5a, 0x68], `it is bzip2-compressed ${READS}`],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], `it is xz-compressed ${READS}`],
  [[0x28, 0xb5, 0x2f, 0xfd], `it is zstd-compressed ${READS}`],
  [[0x50, 0x4b, 0x03, 0x04], `it is a zip archive ${READS}`],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], `it is a 7-Zip archive ${READS}`],
];

/** How much of the first line of text is quoted. */
const QUOTED = 40;

/**
 * What `start` (a file's first bytes) shows the file to be, as a clause:
 * a known compressed or archive format, text (its first line quoted), or
 * bytes (the first eight in hex).
 *
 * @example
 * describeStart(new TextEncoder().encode("hello\n")); // 'it begins with text "hello"'
 */
export function describeStart(start: Uint8Array): string {
  if (start.length === 0) return "it is empty";
  for (const [magic, what] of MAGIC) {
    if (magic.every((b, i) => start[i] === b)) return what;
  }
  const text = firstLine(start);
  if (text !== undefined) {
    const cut = text.line.length > QUOTED || text.more;
    return `it begins with text "${text.line.slice(0, QUOTED)}${
      cut ? "…" : ""
    }"`;
  }
  const bytes = [...start.subarray(0, 8)].map((b) =>
    b.toString(16).padStart(2, "0")
  );
  return `it begins with bytes ${bytes.join(" ")}`;
}

/**
 * The first line when the bytes read as text (UTF-8 without control
 * characters but tabs and line ends), and whether more text follows it.
 */
function firstLine(
  start: Uint8Array,
): { line: string; more: boolean } | undefined {
  let end = start.indexOf(0x0a);
  if (end < 0) end = start.length;
  const head = start.subarray(0, end);
  for (const b of head) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0d || b === 0x7f) return undefined;
  }
  let line: string;
  try {
    line = new TextDecoder("utf-8", { fatal: true }).decode(head);
  } catch {
    // Cut inside a character at the end of what was read: keep the rest.
    line = new TextDecoder().decode(head).replace(/\uFFFD+$/, "");
    if (line.includes("\uFFFD")) return undefined;
  }
  line = line.replace(/\r$/, "").trimEnd();
  if (line === "") return undefined;
  const rest = start.subarray(end + 1);
  return { line, more: rest.some((b) => b > 0x20) };
}

/**
 * Bounds on what epmt reads from job directories and archives, so that
 * broken or hostile input (a line without end, a gzip bomb, a huge
 * job_metadata) fails at once with one line naming the file, instead of
 * running for minutes and exhausting memory or disk. Each bound is a
 * setting (max_line_bytes, max_member_bytes, max_expansion,
 * max_metadata_bytes); the settings layer installs them with setLimits().
 */

/** The bounds, in bytes except `expansion`. */
export interface Limits {
  /** The longest line of a collector file. */
  lineBytes: number;
  /** The largest member of an archive. */
  memberBytes: number;
  /**
   * How many times its own size a compressed archive may expand to (with
   * EXPANSION_FLOOR allowed whatever the archive's size).
   */
  expansion: number;
  /** The largest job_metadata (or start record). */
  metadataBytes: number;
}

const MiB = 1024 * 1024;

/** Generous for real jobs: their lines, members and ratios are far below. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  lineBytes: 16 * MiB,
  memberBytes: 64 * 1024 * MiB,
  expansion: 200,
  metadataBytes: 64 * MiB,
};

/** Any archive may expand to this much, however small it is. */
export const EXPANSION_FLOOR = 64 * MiB;

let current: Limits = { ...DEFAULT_LIMITS };

/** The bounds in force. */
export function limits(): Readonly<Limits> {
  return current;
}

/** Installs bounds (from the settings); unnamed ones keep their default. */
export function setLimits(l: Partial<Limits>): void {
  current = { ...DEFAULT_LIMITS, ...l };
}

/** A byte count for an error line: "1048576 bytes (1.0 MiB)". */
export function showBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${n} bytes (${v.toFixed(1)} ${units[u]})`;
}

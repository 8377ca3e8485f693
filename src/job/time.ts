/** Timestamps as job_metadata stores them: ISO 8601 with the local offset. */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `+HH:MM` (or `+HH:MM:SS` when the offset has seconds). */
export function isoOffset(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  const abs = Math.round(Math.abs(seconds));
  const ss = abs % 60;
  return `${sign}${pad(Math.floor(abs / 3600))}:${
    pad(Math.floor(abs / 60) % 60)
  }${ss ? `:${pad(ss)}` : ""}`;
}

/**
 * A moment as local time with its UTC offset and microseconds, the way
 * Python's `datetime.now().astimezone().isoformat()` writes it.
 *
 * @example
 * isoLocal(Date.now()); // "2026-11-25T21:20:16.879000-05:00"
 */
export function isoLocal(epochMs: number): string {
  const totalUs = Math.floor(epochMs * 1000);
  const us = ((totalUs % 1000000) + 1000000) % 1000000;
  const d = new Date(Math.floor(totalUs / 1000));
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${
    pad(d.getDate())
  }T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
    pad(us, 6)
  }${isoOffset(-d.getTimezoneOffset() * 60)}`;
}

/** Milliseconds since the epoch, with the sub-millisecond part. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A naive local date and time (no offset known) read as this machine's local
 * time, with the offset that applied then.
 */
export function isoFromNaiveLocal(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  us: number,
): string {
  const date = new Date(y, mo - 1, d, h, mi, s, Math.floor(us / 1000));
  date.setFullYear(y); // years 0-99 would otherwise mean 1900-1999
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${
    pad(us, 6)
  }${isoOffset(-date.getTimezoneOffset() * 60)}`;
}

/** Milliseconds since the epoch of an ISO 8601 timestamp (NaN if invalid). */
export function isoToEpochMs(iso: string): number {
  // Date.parse keeps milliseconds only; that is enough for ordering.
  return Date.parse(iso);
}

/**
 * A process's or job's exit status as one short word: the exit code, or the
 * signal that ended it.
 */

const SIGNALS: Record<number, string> = {
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};

/**
 * "0", "3", "SIGTERM" or "signal". papiex writes exitsignal 1 for "ended by
 * a signal" without saying which, so 1 reads as "signal"; our collector
 * writes the number, shown by name where it has one.
 *
 * @example
 * exitText(0, 15); // "SIGTERM"
 */
export function exitText(
  exitcode: number | null | undefined,
  exitsignal: number | null | undefined,
): string {
  if (exitsignal) {
    if (exitsignal === 1) return "signal";
    return SIGNALS[exitsignal] ?? `sig${exitsignal}`;
  }
  if (exitcode === null || exitcode === undefined) return "-";
  return String(exitcode);
}

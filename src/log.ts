/**
 * Logging to stderr in the Python EPMT's style, `LEVEL:epmt: message`, so
 * scripts that grep for `WARNING:epmt:` keep working.
 */
import { stderr } from "./io.ts";

export enum Level {
  ERROR = 40,
  WARNING = 30,
  INFO = 20,
  DEBUG = 10,
}

let threshold = Level.WARNING;
const encoder = new TextEncoder();

/** -v gives INFO, -vv (or the debug setting) gives DEBUG. */
export function setVerbosity(verbose: number, debug = false): void {
  threshold = debug || verbose >= 2
    ? Level.DEBUG
    : verbose === 1
    ? Level.INFO
    : Level.WARNING;
}

/** True when messages at `level` are printed. */
export function enabled(level: Level): boolean {
  return level >= threshold;
}

function emit(level: Level, message: string): void {
  if (level < threshold) return;
  stderr().writeSync(
    encoder.encode(`${Level[level]}:epmt: ${message}\n`),
  );
}

export const error = (message: string): void => emit(Level.ERROR, message);
export const warning = (message: string): void => emit(Level.WARNING, message);
export const info = (message: string): void => emit(Level.INFO, message);
export const debug = (message: string): void => emit(Level.DEBUG, message);

import { UsageError } from "../errors.ts";
import type { GlobalFlags } from "./context.ts";

/**
 * Reads the global flags that come, in any order, before the command name.
 * Short flags may be bundled (`-av`, `-vv`). Returns the flags and the rest
 * of argv starting at the command name.
 */
export function parseGlobalFlags(
  argv: string[],
): { flags: GlobalFlags; rest: string[] } {
  const flags: GlobalFlags = {
    dryRun: false,
    verbose: 0,
    help: false,
    auto: false,
    drop: false,
    version: false,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    if (arg.startsWith("--")) {
      const long = LONG[arg];
      if (!long) throw new UsageError(`unknown flag ${arg}`);
      long(flags);
      continue;
    }
    for (const letter of arg.slice(1)) {
      const short = SHORT[letter];
      if (!short) throw new UsageError(`unknown flag -${letter} in ${arg}`);
      short(flags);
    }
  }
  return { flags, rest: argv.slice(i) };
}

type Setter = (f: GlobalFlags) => void;

const SHORT: Record<string, Setter> = {
  n: (f) => f.dryRun = true,
  v: (f) => f.verbose++,
  h: (f) => f.help = true,
  a: (f) => f.auto = true,
  V: (f) => f.version = true,
};

const LONG: Record<string, Setter> = {
  "--dry-run": SHORT.n,
  "--verbose": SHORT.v,
  "--help": SHORT.h,
  "--auto": SHORT.a,
  "--version": SHORT.V,
  "--drop": (f) => f.drop = true,
};

/** Every global flag, short and long (for completion). */
export function globalFlagNames(): string[] {
  return [...Object.keys(SHORT).map((l) => `-${l}`), ...Object.keys(LONG)];
}

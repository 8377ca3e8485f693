/**
 * A small option parser shared by the query commands: long options with
 * `--name value` or `--name=value`, short aliases, repeatable options, and
 * positional arguments anywhere (`epmt list procs 42 --sort cpu`).
 */
import { UsageError } from "../errors.ts";

/** How an option is given: a bare flag, one value, or repeatable values. */
export type OptionKind = "flag" | "value" | "list";

/** The options of one command, by long name (without the dashes). */
export type OptionSpec = Record<string, OptionKind>;

/** What each option became: boolean, string (or undefined), string[]. */
export type ParsedOptions<S extends OptionSpec> = {
  [K in keyof S]: S[K] extends "flag" ? boolean
    : S[K] extends "value" ? string | undefined
    : string[];
};

/** The options and the positional arguments of a command line. */
export interface Parsed<S extends OptionSpec> {
  opts: ParsedOptions<S>;
  positional: string[];
}

/**
 * Parses `args` for `command` (named in messages). `aliases` maps a short
 * option (`-o`) to a long name. Unknown options and missing values are
 * UsageErrors; `--` ends the options.
 *
 * @example
 * const { opts, positional } = parseOptions("list", ["--json", "procs"], {
 *   json: "flag",
 *   limit: "value",
 * });
 * // opts.json === true, opts.limit === undefined, positional = ["procs"]
 */
export function parseOptions<S extends OptionSpec>(
  command: string,
  args: readonly string[],
  spec: S,
  aliases: Record<string, keyof S & string> = {},
): Parsed<S> {
  const opts: Record<string, boolean | string | string[] | undefined> = {};
  for (const [name, kind] of Object.entries(spec)) {
    opts[name] = kind === "flag" ? false : kind === "list" ? [] : undefined;
  }
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positional.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else {
      const alias = aliases[arg.slice(0, 2)];
      if (alias === undefined) {
        throw new UsageError(`${command}: unknown option ${arg}`);
      }
      name = alias;
      if (arg.length > 2) inline = arg.slice(2);
    }
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      throw new UsageError(`${command}: unknown option ${arg}`);
    }
    if (kind === "flag") {
      if (inline !== undefined) {
        throw new UsageError(`${command}: ${arg}: --${name} takes no value`);
      }
      opts[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      throw new UsageError(`${command}: --${name} needs a value`);
    }
    if (kind === "list") (opts[name] as string[]).push(value);
    else opts[name] = value;
  }
  return { opts: opts as ParsedOptions<S>, positional };
}

/**
 * A non-negative integer option, or `fallback` when absent.
 *
 * @example
 * intOption("list", "limit", "50", 20); // 50
 */
export function intOption(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `${command}: --${name} wants a whole number >= 0, not ${
        JSON.stringify(value)
      }`,
    );
  }
  return Number(value);
}

/**
 * One of `choices`, or `fallback` when absent.
 *
 * @example
 * choiceOption("export", "format", "csv", ["json", "csv"], "json"); // "csv"
 */
export function choiceOption<T extends string>(
  command: string,
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      `${command}: --${name} must be one of ${choices.join(", ")}, not ${
        JSON.stringify(value)
      }`,
    );
  }
  return value as T;
}

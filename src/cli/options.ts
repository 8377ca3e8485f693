/**
 * One declarative table per command: its options (short and long forms,
 * value type, default, help line) and positionals. From it come the parser
 * (on node:util parseArgs), the `-h` / `epmt help CMD` text and the bash
 * completion, so a command costs a table entry, not a hand-written parser.
 *
 * @example
 * const cmd = defineCommand({
 *   name: "list",
 *   summary: "list jobs",
 *   description: "Lists jobs, newest first.",
 *   positionals: [{ name: "JOBID", help: "a job", variadic: true }],
 *   options: [
 *     { long: "user", short: "u", type: "string", value: "NAME", help: "jobs of this user" },
 *     { long: "limit", type: "int", value: "N", default: 20, help: "at most N jobs" },
 *     { long: "json", type: "flag", help: "raw values for scripts" },
 *   ],
 * });
 * const { opts, positional } = cmd.parse(["-u", "ann", "--json"]);
 * // opts.user === "ann", opts.limit === 20, opts.json === true
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { suggestion } from "./suggest.ts";

/** How an option takes its value. */
export type OptionType = "flag" | "string" | "list" | "int" | "number";

/** One option of a command. */
export interface OptionDecl {
  /** The long name, without dashes: `user` for `--user`. */
  readonly long: string;
  /** One letter, without the dash: `u` for `-u`. */
  readonly short?: string;
  /**
   * flag: no value (true when given); string: one value; list: repeatable;
   * int: a whole number >= 0; number: any finite number.
   */
  readonly type: OptionType;
  /** The value's name in the help text (`NAME`, `N`, `DATE`). */
  readonly value?: string;
  /** The only values allowed (string options). */
  readonly choices?: readonly string[];
  /** The value when the option is absent. */
  readonly default?: string | number | boolean;
  /** One or more sentences for the help text. */
  readonly help: string;
  /** A heading the option is listed under in the help text. */
  readonly group?: string;
}

/** One positional argument. */
export interface PositionalDecl {
  readonly name: string;
  readonly help: string;
  /** May be left out. */
  readonly optional?: boolean;
  /** Any number of them (`JOBID...`). */
  readonly variadic?: boolean;
  /**
   * What bash completes it with: file names, program names, epmt's
   * command names; nothing when absent (a job id, a key).
   */
  readonly complete?: "file" | "command" | "epmt-command";
  /** Words it may be (completed too): `procs` for `list procs JOBID`. */
  readonly words?: readonly string[];
}

/** The global flags a command accepts after its name as well as before. */
export type GlobalName = "dry-run" | "verbose" | "help" | "drop" | "auto";

/** A whole command: what `epmt help CMD` shows and what its parser knows. */
export interface CommandDecl {
  readonly name: string;
  /** One line for `epmt help`. */
  readonly summary: string;
  /**
   * Synopsis lines after `epmt NAME`; generated from the table when absent.
   * Several forms of one command each get a line; a line starting with a
   * space continues the one above.
   */
  readonly synopsis?: readonly string[];
  /** A paragraph or more on what the command does. */
  readonly description: string;
  readonly positionals?: readonly PositionalDecl[];
  readonly options: readonly OptionDecl[];
  /** Text after the options: examples, caveats. */
  readonly notes?: string;
  /**
   * Options are read only before the first positional; everything from it
   * on is passed through untouched (`epmt run CMD ARGS...`).
   */
  readonly passThrough?: boolean;
  /** Global flags this command honours after its name (default: -n -v -h). */
  readonly globals?: readonly GlobalName[];
}

type ValueOf<O extends OptionDecl> = O["type"] extends "flag" ? boolean
  : O["type"] extends "list" ? string[]
  : O["type"] extends "int" | "number"
    ? O extends { default: number } ? number : number | undefined
  : O extends { choices: readonly (infer C)[] }
    ? O extends { default: string } ? C : C | undefined
  : O extends { default: string } ? string
  : string | undefined;

/** The parsed options of a command, by long name. */
export type Options<D extends CommandDecl> = {
  [O in D["options"][number] as O["long"]]: ValueOf<O>;
};

/** Global flags given after the command name. */
export interface GlobalsGiven {
  dryRun: boolean;
  verbose: number;
  help: boolean;
  drop: boolean;
  auto: boolean;
}

/** What a command line became. */
export interface Parsed<D extends CommandDecl> {
  opts: Options<D>;
  positional: string[];
  globals: GlobalsGiven;
  /** The long names of the options given (not defaulted). */
  given: ReadonlySet<string>;
}

/** Any declared command, whatever its options (for lists of commands). */
export interface AnyCommand {
  readonly decl: CommandDecl;
  parse(args: readonly string[]): { globals: GlobalsGiven };
  readonly usage: string;
}

/** A declared command: its table, its parser and its help text. */
export interface Command<D extends CommandDecl = CommandDecl> {
  readonly decl: D;
  /** Parses the arguments after the command name; UsageError on mistakes. */
  parse(args: readonly string[]): Parsed<D>;
  /** The `-h` text. */
  readonly usage: string;
}

const GLOBAL_DECLS: Record<GlobalName, OptionDecl> = {
  "dry-run": {
    long: "dry-run",
    short: "n",
    type: "flag",
    help: "show what would be done, change nothing",
  },
  verbose: {
    long: "verbose",
    short: "v",
    type: "flag",
    help: "more detail: -v info, -vv debug",
  },
  help: { long: "help", short: "h", type: "flag", help: "this text" },
  drop: {
    long: "drop",
    type: "flag",
    help: "drop and recreate the database schema first",
  },
  auto: {
    long: "auto",
    short: "a",
    type: "flag",
    help: "start the job before and stop it after",
  },
};

const DEFAULT_GLOBALS: readonly GlobalName[] = ["dry-run", "verbose", "help"];

/** Declares a command; checks the table itself once, at load. */
export function defineCommand<const D extends CommandDecl>(
  decl: D,
): Command<D> {
  const globals = (decl.globals ?? DEFAULT_GLOBALS).map((g) => GLOBAL_DECLS[g]);
  const all = [...decl.options, ...globals];
  checkTable(decl.name, all);
  let usage: string | undefined;
  return {
    decl,
    parse: (args) => parse(decl, all, args),
    get usage() {
      usage ??= usageOf(decl, globals);
      return usage;
    },
  };
}

/** Every option a command accepts, its globals included (for completion). */
export function allOptions(decl: CommandDecl): OptionDecl[] {
  return [
    ...decl.options,
    ...(decl.globals ?? DEFAULT_GLOBALS).map((g) => GLOBAL_DECLS[g]),
  ];
}

function checkTable(name: string, all: readonly OptionDecl[]): void {
  const seen = new Set<string>();
  for (const o of all) {
    for (const key of [`--${o.long}`, o.short && `-${o.short}`]) {
      if (!key) continue;
      if (seen.has(key)) {
        throw new Error(`${name}: option ${key} declared twice`);
      }
      seen.add(key);
    }
  }
}

function parse<D extends CommandDecl>(
  decl: D,
  all: readonly OptionDecl[],
  args: readonly string[],
): Parsed<D> {
  const byLong = new Map(all.map((o) => [o.long, o]));
  const byShort = new Map(
    all.filter((o) => o.short).map((o) => [o.short!, o]),
  );
  const config: Record<string, { type: "string" | "boolean"; short?: string }> =
    {};
  for (const o of all) {
    config[o.long] = {
      type: o.type === "flag" ? "boolean" : "string",
      ...(o.short ? { short: o.short } : {}),
    };
  }
  const { tokens } = parseArgs({
    args: [...args],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string[]>();
  const counts = new Map<string, number>();
  const positional: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      positional.push(...args.slice(token.index + 1));
      break;
    }
    if (token.kind === "positional") {
      if (decl.passThrough) {
        positional.push(...args.slice(token.index));
        break;
      }
      positional.push(token.value);
      continue;
    }
    // A negative number is a value, not an option (`-5`).
    if (/^-\d/.test(token.rawName)) {
      if (decl.passThrough) {
        positional.push(...args.slice(token.index));
        break;
      }
      positional.push(args[token.index]);
      continue;
    }
    // parseArgs names a known short option by its long name: look up the
    // letter as typed.
    const opt = token.rawName.startsWith("--")
      ? byLong.get(token.name)
      : byShort.get(token.rawName.slice(1));
    if (!opt) throw unknownOption(decl.name, token.rawName, all);
    if (opt.type === "flag") {
      if (token.inlineValue) {
        throw new UsageError(`${decl.name}: --${opt.long} takes no value`);
      }
      counts.set(opt.long, (counts.get(opt.long) ?? 0) + 1);
      continue;
    }
    if (token.value === undefined) {
      throw new UsageError(`${decl.name}: ${token.rawName} needs a value`);
    }
    const list = values.get(opt.long) ?? [];
    list.push(token.value);
    values.set(opt.long, list);
  }
  if (
    !decl.passThrough && !decl.positionals?.length && positional.length > 0
  ) {
    throw new UsageError(`${decl.name} takes no arguments`);
  }
  const opts: Record<string, unknown> = {};
  for (const o of decl.options) {
    opts[o.long] = convert(decl.name, o, values.get(o.long), counts);
  }
  return {
    opts: opts as Options<D>,
    positional,
    globals: {
      dryRun: counts.has("dry-run"),
      verbose: counts.get("verbose") ?? 0,
      help: counts.has("help"),
      drop: counts.has("drop"),
      auto: counts.has("auto"),
    },
    given: new Set([...values.keys(), ...counts.keys()]),
  };
}

function convert(
  command: string,
  o: OptionDecl,
  given: string[] | undefined,
  counts: Map<string, number>,
): unknown {
  switch (o.type) {
    case "flag":
      return counts.has(o.long) || o.default === true;
    case "list":
      return given ?? [];
  }
  // A single-valued option given twice: the last one counts, as in most tools.
  const text = given?.at(-1);
  if (text === undefined) return o.default;
  if (o.choices && !o.choices.includes(text)) {
    throw new UsageError(
      `${command}: --${o.long} must be one of ${o.choices.join(", ")}, not ${
        JSON.stringify(text)
      }${suggestion(text, o.choices)}`,
    );
  }
  if (o.type === "int") {
    if (!/^\d+$/.test(text)) {
      throw new UsageError(
        `${command}: --${o.long} wants a whole number >= 0, not ${
          JSON.stringify(text)
        }`,
      );
    }
    return Number(text);
  }
  if (o.type === "number") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n)) {
      throw new UsageError(
        `${command}: --${o.long} wants a number, not ${JSON.stringify(text)}`,
      );
    }
    return n;
  }
  return text;
}

function unknownOption(
  command: string,
  raw: string,
  all: readonly OptionDecl[],
): UsageError {
  const names = all.flatMap((o) => [
    `--${o.long}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  // One letter is too little to guess from: -x is not a typo of -n.
  const hint = /^-[^-]$/.test(raw) ? "" : suggestion(raw, names);
  const e = new UsageError(`${command}: unknown option ${raw}${hint}`);
  e.oneLine = true;
  return e;
}

const WIDTH = 78;

function usageOf(decl: CommandDecl, globals: readonly OptionDecl[]): string {
  const head = `usage: epmt ${decl.name} `;
  const forms = decl.synopsis ?? [defaultSynopsis(decl)];
  // A line that starts with a space continues the form above it.
  const synopsis = forms.map((form, i) =>
    (i === 0
      ? head + form
      : form.startsWith(" ")
      ? " ".repeat(head.length) + form.trimStart()
      : `       epmt ${decl.name} ${form}`).trimEnd()
  ).join("\n");
  const parts = [synopsis, wrap(decl.description, WIDTH)];
  const rows: [string, string][] = [];
  const sections: { title: string; rows: [string, string][] }[] = [];
  if (decl.positionals?.length) {
    sections.push({
      title: "arguments:",
      rows: decl.positionals.map((p) => [positionalName(p), p.help]),
    });
  }
  for (const o of decl.options) {
    const title = o.group ? `${o.group}:` : "options:";
    let section = sections.find((s) => s.title === title);
    if (!section) {
      section = { title, rows: [] };
      sections.push(section);
    }
    section.rows.push([optionName(o), optionHelp(o)]);
  }
  sections.push({
    title: "global flags (here or before the command):",
    rows: globals.map((o) => [optionName(o), o.help]),
  });
  for (const s of sections) rows.push(...s.rows);
  const left = Math.min(
    26,
    Math.max(...rows.map(([name]) => name.length)) + 2,
  );
  for (const s of sections) {
    parts.push(
      [s.title, ...s.rows.map(([name, help]) => row(name, help, left))].join(
        "\n",
      ),
    );
  }
  if (decl.notes) parts.push(decl.notes);
  return parts.join("\n\n");
}

function row(name: string, help: string, left: number): string {
  const indent = " ".repeat(left + 2);
  const lines = wrap(help, WIDTH - left - 2).split("\n");
  const first = name.length + 2 <= left
    ? `  ${name.padEnd(left)}${lines[0]}`
    : `  ${name}\n${indent}${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => indent + l)].join("\n");
}

function defaultSynopsis(decl: CommandDecl): string {
  const parts = decl.options.length ? ["[OPTIONS]"] : [];
  for (const p of decl.positionals ?? []) {
    const name = positionalName(p);
    parts.push(p.optional ? `[${name}]` : name);
  }
  return parts.join(" ");
}

function positionalName(p: PositionalDecl): string {
  return p.variadic ? `${p.name}...` : p.name;
}

function optionName(o: OptionDecl): string {
  const long = `--${o.long}${
    o.type === "flag"
      ? ""
      : ` ${o.value ?? (o.choices ? o.choices.join("|") : "VALUE")}`
  }`;
  return o.short ? `-${o.short}, ${long}` : long;
}

function optionHelp(o: OptionDecl): string {
  const extra: string[] = [];
  if (o.choices && o.value) extra.push(`one of ${o.choices.join(", ")}`);
  if (o.default !== undefined && o.type !== "flag") {
    extra.push(`default ${o.default}`);
  }
  if (o.type === "list") extra.push("repeatable");
  if (extra.length === 0) return o.help;
  // "(0: all)" and "(default 20)" read better as one "(0: all; default 20)".
  return o.help.endsWith(")")
    ? `${o.help.slice(0, -1)}; ${extra.join("; ")})`
    : `${o.help} (${extra.join("; ")})`;
}

/** Wraps each paragraph of `text` at `width`, keeping indented lines as they are. */
function wrap(text: string, width: number): string {
  return text.split("\n").map((line) => {
    if (line.length <= width || /^\s/.test(line)) return line;
    const out: string[] = [];
    let current = "";
    for (const word of line.split(" ")) {
      if (current && current.length + 1 + word.length > width) {
        out.push(current);
        current = word;
      } else {
        current = current ? `${current} ${word}` : word;
      }
    }
    if (current) out.push(current);
    return out.join("\n");
  }).join("\n");
}

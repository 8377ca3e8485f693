/** The command line: global flags, then one command, then its arguments. */
import { UsageError, UserError } from "../errors.ts";
import * as log from "../log.ts";
import { VERSION } from "../version.ts";
import { Context, usageOf } from "./context.ts";
import { parseGlobalFlags } from "./global_flags.ts";
import { COMMANDS, unknownCommand } from "./registry.ts";
import { usageText } from "./usage.ts";
import { print, printError } from "../io.ts";
import type { AnyCommand } from "./options.ts";

/** Runs epmt with `argv` (without the program name); returns the exit code. */
export async function main(
  argv: string[],
  env: Record<string, string>,
): Promise<number> {
  try {
    const { flags, rest } = parseGlobalFlags(argv);
    log.setVerbosity(flags.verbose);
    const ctx = new Context(flags, env);
    if (flags.version) {
      const { versionText } = await import("./version_text.ts");
      print(await versionText(ctx));
      return 0;
    }
    const [name, ...args] = rest;
    if (name === undefined || flags.help) {
      if (name !== undefined) args.unshift(name);
      if (name === undefined && !flags.help) {
        throw new UsageError("no command given");
      }
      return await runCommand(ctx, "help", args);
    }
    return await runCommand(ctx, name, args);
  } catch (e) {
    return report(e);
  }
}

async function runCommand(
  ctx: Context,
  name: string,
  args: string[],
): Promise<number> {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw unknownCommand(name);
  const command = await entry.load();
  if (wantsHelp(command.command, args)) {
    print(usageOf(command));
    return 0;
  }
  // Settings are read now so the debug setting also governs logging; but
  // check must run with a broken settings file, to report it.
  if (name !== "check" && ctx.settings.debug) {
    log.setVerbosity(ctx.flags.verbose, true);
  }
  try {
    return await command.run(ctx, args);
  } catch (e) {
    if (e instanceof UsageError) {
      e.command = {
        name,
        synopsis: usageOf(command).split("\n\n")[0].replace(/^usage: /, ""),
      };
    }
    throw e;
  }
}

/**
 * True when -h or --help is among the command's own options: anywhere
 * before `--`, or for a command that passes its arguments through
 * (`epmt run ls -h`), before its first positional.
 */
function wantsHelp(command: AnyCommand, args: string[]): boolean {
  if (command.decl.passThrough) {
    try {
      return command.parse(args).globals.help;
    } catch {
      return false;
    }
  }
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  return own.includes("-h") || own.includes("--help");
}

function report(e: unknown): number {
  if (e instanceof UsageError && e.oneLine) {
    log.error(e.message);
    return e.exitCode;
  }
  if (e instanceof UsageError) {
    log.error(e.message);
    printError(
      e.command
        ? `usage: ${e.command.synopsis}\n'epmt help ${e.command.name}' describes it.`
        : usageText(),
    );
    return e.exitCode;
  }
  if (e instanceof UserError) {
    log.error(e.message);
    return e.exitCode;
  }
  if (e instanceof Error) {
    log.error(`internal error: ${e.message}`);
    if (log.enabled(log.Level.DEBUG)) printError(e.stack ?? "");
    else log.error("run with -vv for the stack trace");
  } else {
    log.error(`internal error: ${String(e)}`);
  }
  return 1;
}

export { VERSION };

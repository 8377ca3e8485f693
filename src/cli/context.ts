import { type LoadedSettings, loadSettings } from "../settings/mod.ts";
import * as log from "../log.ts";
import type { AnyCommand, Command, CommandDecl, Parsed } from "./options.ts";
import { setLimits } from "../limits.ts";

/** Flags given before the command name. */
export interface GlobalFlags {
  dryRun: boolean;
  /** 0 = warnings, 1 = info (-v), 2 = debug (-vv). */
  verbose: number;
  help: boolean;
  auto: boolean;
  drop: boolean;
  version: boolean;
}

/**
 * What every command gets: the global flags, the environment it runs in and
 * the settings (read on first use, so commands that need none stay fast).
 */
export class Context {
  readonly flags: GlobalFlags;
  readonly env: Record<string, string>;
  #loaded?: LoadedSettings;

  constructor(flags: GlobalFlags, env: Record<string, string>) {
    this.flags = flags;
    this.env = env;
    // Default bounds on input until this run's settings are read (a
    // process may run several commands, as the in-process tests do).
    setLimits({});
  }

  get loaded(): LoadedSettings {
    if (!this.#loaded) {
      this.#loaded = loadSettings(this.env);
      const s = this.#loaded.settings;
      // The readers of job files and archives consult these bounds.
      setLimits({
        lineBytes: s.max_line_bytes,
        memberBytes: s.max_member_bytes,
        expansion: s.max_expansion,
        metadataBytes: s.max_metadata_bytes,
      });
    }
    return this.#loaded;
  }

  get settings(): LoadedSettings["settings"] {
    return this.loaded.settings;
  }

  /**
   * Parses a command's arguments with its table; global flags given after
   * the command name count as if given before it.
   */
  parse<D extends CommandDecl>(
    command: Command<D>,
    args: readonly string[],
  ): Parsed<D> {
    const parsed = command.parse(args);
    const g = parsed.globals;
    this.flags.dryRun ||= g.dryRun;
    this.flags.drop ||= g.drop;
    this.flags.auto ||= g.auto;
    this.flags.help ||= g.help;
    if (g.verbose > 0) {
      this.flags.verbose += g.verbose;
      log.setVerbosity(this.flags.verbose);
    }
    return parsed;
  }
}

/** The shape of every module under src/cli/commands/. */
export interface CommandModule {
  /** The command's table (options.ts): parser, usage and completion. */
  command: AnyCommand;
  /** Runs the command; resolves to the process exit code. */
  run(ctx: Context, args: string[]): Promise<number>;
}

/** The text `epmt help COMMAND` and `epmt COMMAND -h` print. */
export function usageOf(module: CommandModule): string {
  return module.command.usage;
}

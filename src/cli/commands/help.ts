import { displayValue, KEYS } from "../../settings/mod.ts";
import { type Context, usageOf } from "../context.ts";
import { COMMANDS, unknownCommand } from "../registry.ts";
import { usageText } from "../usage.ts";
import { print } from "../../io.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt help`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "help",
  summary: "print this usage and the active settings",
  synopsis: ["[COMMAND]"],
  description:
    `Prints the usage, the active settings (passwords as ****) and the EPMT_*
variables overriding them; with COMMAND, that command's usage.`,
  positionals: [{
    name: "COMMAND",
    optional: true,
    complete: "epmt-command",
    help: "the command to describe",
  }],
  options: [],
});

export async function run(ctx: Context, args: string[]): Promise<number> {
  const { positional } = ctx.parse(command, args);
  if (positional.length > 1) {
    throw new UsageError("help: name one COMMAND");
  }
  if (positional.length > 0) {
    const name = positional[0];
    if (!Object.hasOwn(COMMANDS, name)) throw unknownCommand(name);
    print(usageOf(await COMMANDS[name].load()));
    return 0;
  }
  print(usageText());
  print();
  print(settingsText(ctx));
  return 0;
}

/** The active settings, aligned, and where they came from. */
export function settingsText(ctx: Context): string {
  const { settings, file, overrides } = ctx.loaded;
  const width = Math.max(...KEYS.map((k) => k.key.length));
  const lines = [
    `settings (${file ? `from ${file}` : "built-in defaults"}):`,
    ...KEYS.map((k) =>
      `  ${k.key.padEnd(width)}  ${displayValue(settings, k)}`
    ),
  ];
  if (overrides.length > 0) {
    lines.push("overridden by environment:");
    for (const name of overrides) {
      const spec = KEYS.find((k) => k.env === name)!;
      lines.push(`  ${name}=${displayValue(settings, spec)}`);
    }
  } else {
    lines.push("overridden by environment: none");
  }
  const ignored = Object.keys(ctx.env).filter((name) =>
    name.startsWith("EPMT_") && !KEYS.some((k) => k.env === name) &&
    !NOT_SETTINGS.test(name)
  ).sort();
  if (ignored.length > 0) {
    lines.push(`not settings, ignored (a typo?): ${ignored.join(" ")}`);
  }
  return lines.join("\n");
}

/** EPMT_* variables that are read, but are not settings. */
const NOT_SETTINGS = /^EPMT_(SETTINGS|JOB_TAGS|SLURM_\w+|TEST_\w+)$/;

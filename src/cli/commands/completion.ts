import type { Context } from "../context.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt completion`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "completion",
  summary: "print a shell completion script (bash)",
  synopsis: ["bash"],
  description:
    `Prints a script that makes bash complete epmt's commands, their options
and the values of options with a fixed set of them (list --sort, export
--what, ...), made from the same tables as the -h texts.`,
  positionals: [{
    name: "SHELL",
    words: ["bash"],
    help: "the shell: bash",
  }],
  options: [],
  notes: `Load it in the current shell, or for every new one:
  source <(epmt completion bash)
  epmt completion bash > ~/.local/share/bash-completion/completions/epmt`,
});

/** `epmt completion bash`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { positional } = ctx.parse(command, args);
  const { UsageError } = await import("../../errors.ts");
  if (positional.length !== 1 || positional[0] !== "bash") {
    throw new UsageError(
      positional.length === 0
        ? "completion: name the shell: bash"
        : `completion: only bash is supported, not ${positional.join(" ")}`,
    );
  }
  const { COMMANDS } = await import("../registry.ts");
  const { bashCompletion } = await import("../completion.ts");
  const { globalFlagNames } = await import("../global_flags.ts");
  const decls = [];
  for (const entry of Object.values(COMMANDS)) {
    decls.push((await entry.load()).command.decl);
  }
  print(bashCompletion(decls, globalFlagNames()).trimEnd());
  return 0;
}

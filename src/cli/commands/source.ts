import { UsageError, UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import {
  collectorEnv,
  currentJobContext,
  jobState,
  METADATA_FILE,
} from "../../job/mod.ts";
import type { Context } from "../context.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt source`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "source",
  summary: "print the environment to export for collection",
  synopsis: ["[--shell bash|csh | --slurm]"],
  description:
    `Prints the environment that makes every program started afterwards collected
into the current job: PAPIEX_OPTIONS, PAPIEX_OUTPUT (the job directory) and
LD_PRELOAD (the collector, then any LD_PRELOAD already set).`,
  options: [
    {
      long: "shell",
      type: "string",
      value: "SHELL",
      choices: ["bash", "sh", "zsh", "ksh", "dash", "csh", "tcsh"],
      help: "statements for this shell's eval, quoted",
    },
    {
      long: "slurm",
      type: "flag",
      help: "export NAME=value lines for a SLURM TaskProlog (nothing when " +
        "the job was not started)",
    },
  ],
  notes: `forms:
  bash, sh, zsh:  export $(epmt source)
                  eval "$(epmt source --shell bash)"
  csh, tcsh:      eval \`epmt source --shell csh\`
  SLURM:          epmt source --slurm  (in a TaskProlog)

Without --shell it prints NAME=value words for export $(...), which cannot
carry a space or a glob character ([ in a PBS array job id): then it fails,
and the eval form, which quotes, is the one to use. Run epmt start first,
and unset LD_PRELOAD before epmt stop.`,
});

/** The forms: words for export $(...), or statements for a shell's eval. */
type Form = "words" | "sh" | "csh";

const SHELLS: Record<string, Form> = {
  bash: "sh",
  sh: "sh",
  zsh: "sh",
  ksh: "sh",
  dash: "sh",
  csh: "csh",
  tcsh: "csh",
};

/** `epmt source`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts } = ctx.parse(command, args);
  if (opts.slurm) {
    if (opts.shell !== undefined) {
      throw new UsageError("source: --slurm takes no other arguments");
    }
    return await taskProlog(ctx);
  }
  const form: Form = opts.shell === undefined ? "words" : SHELLS[opts.shell];
  const c = await currentJobContext(ctx.settings, ctx.env, false);
  const state = await jobState(c.dir);
  if (state === "stopped") {
    log.warning(
      `job ${c.job.id} is already stopped (${c.dir}${METADATA_FILE} exists): what runs now is not part of it`,
    );
  } else if (state === "none") {
    log.warning(
      `no started job for job id ${c.job.id} (${c.dir}): run epmt start first, or nothing will be recorded for it`,
    );
  }
  const { vars, warning } = collectorEnv(ctx.settings, c.dir, ctx.env);
  if (warning) log.warning(warning);
  print(
    form === "csh"
      ? vars.map(([k, v]) => `setenv ${k} ${quote(v)};`).join("\n")
      : form === "sh"
      ? vars.map(([k, v]) => `export ${k}=${quote(v)};`).join("\n")
      : vars.map(([k, v]) => `${k}=${bareWord(k, v)}`).join(" "),
  );
  return 0;
}

/**
 * A value for `export $(epmt source)`, printed as it is: the shell splits
 * the output into words and expands globs but never removes quotes, so a
 * quoted value would keep its quotes. A value that splitting or globbing
 * would change cannot be given this way at all.
 */
function bareWord(name: string, value: string): string {
  const found = [
    /\s/.test(value) ? "a space" : "",
    ...[..."*?["].filter((c) => value.includes(c)),
  ].filter(Boolean);
  if (found.length === 0) return value;
  throw new UserError(
    `${name}=${value} holds ${
      found.join(" and ")
    }, which export $(epmt source) would split or expand: use eval "$(epmt source --shell bash)"`,
  );
}

/** A value for eval in sh or csh: bare when safe, else single-quoted. */
function quote(v: string): string {
  return /^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;
}

/**
 * `epmt source --slurm`: the lines a SLURM TaskProlog prints to set a
 * task's environment. SLURM takes everything after "=" as the value, so
 * values are not quoted, and one with a line break cannot be passed. Prints
 * nothing for a job that was not started, so its tasks run untouched.
 */
async function taskProlog(ctx: Context): Promise<number> {
  const c = await currentJobContext(ctx.settings, ctx.env, false);
  if ((await jobState(c.dir)) !== "started") {
    log.warning(
      `no started job for job id ${c.job.id} (${c.dir}): nothing to export`,
    );
    return 0;
  }
  const { vars, warning } = collectorEnv(ctx.settings, c.dir, ctx.env);
  if (warning) log.warning(warning);
  const lines: string[] = [];
  for (const [k, v] of vars) {
    if (/[\n\r]/.test(v)) {
      log.warning(`${k} holds a line break; SLURM cannot take it, not set`);
    } else {
      lines.push(`export ${k}=${v}`);
    }
  }
  if (lines.length) print(lines.join("\n"));
  return 0;
}

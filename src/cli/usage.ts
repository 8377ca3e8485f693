import { COMMANDS } from "./registry.ts";

/** The usage text printed by `epmt help`, `epmt -h` and on usage errors. */
export function usageText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const commands = Object.entries(COMMANDS)
    .map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`)
    .join("\n");
  return `usage: epmt [-n] [-v[v]] [-h] [-a] [--drop] [-V] COMMAND [ARGS...]

Records what a batch job did, per process and thread, and loads it into a
database for listing, comparison and screening.

  epmt start; epmt run ./model --debug; epmt stop; epmt submit
  epmt -a run ./model

global flags:
  -n, --dry-run   show what would be done, change nothing
  -v, --verbose   more detail: -v info, -vv debug
  -h, --help      this text and the active settings
  -a, --auto      with run: start the job before and stop it after
  --drop          with submit: drop and recreate the database schema first
                  (asks on a terminal; submit --yes confirms in scripts)
  -V, --version   print the version of epmt and of its collector

commands:
${commands}

'epmt help COMMAND' or 'epmt COMMAND -h' describes one command.`;
}

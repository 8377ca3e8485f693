import { UsageError, UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import {
  collectorEnv,
  currentJobContext,
  isoLocal,
  type JobContext,
  nowMs,
  recordRun,
  requireStarted,
  startJob,
  stopJob,
} from "../../job/mod.ts";
import type { Context } from "../context.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt run`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "run",
  summary: "run a command under the collector (-a: start, run, stop)",
  synopsis: ["[-a] [--] COMMAND [ARGS...]"],
  description:
    `Runs COMMAND with the collector preloaded (LD_PRELOAD), PAPIEX_OUTPUT set to
the job directory and PAPIEX_OPTIONS from the settings. Standard input and
output pass through untouched; the exit status is the command's own (128+N
when it dies of signal N). The command line and exit status are recorded for
the job. With -a (before or, as the Python EPMT allowed, after run): start
the job before and stop it after; without it the job must have been started
(epmt start). epmt never keeps the command from running: in a job that is not
started, already stopped, or whose directory is refused, it warns and runs the
command without collection. SIGTERM and SIGHUP are passed on to the command;
SIGINT and SIGQUIT reach it from the terminal.`,
  positionals: [
    { name: "COMMAND", complete: "command", help: "the program to run" },
    {
      name: "ARGS",
      variadic: true,
      optional: true,
      complete: "file",
      help: "its arguments, passed on untouched (options of epmt run go " +
        "before COMMAND)",
    },
  ],
  options: [],
  passThrough: true,
  globals: ["dry-run", "verbose", "help", "auto"],
  notes: `examples:
  epmt -a run ./model --debug
  epmt run -a -- ./model -n 4`,
});

/** `epmt run` and `epmt -a run`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const argv = ctx.parse(command, args).positional;
  const auto = ctx.flags.auto;
  if (argv.length === 0) throw new UsageError("run needs a command to run");
  const c = await jobToCollect(ctx, auto, argv[0]);
  const { vars, warning } = c
    ? collectorEnv(ctx.settings, c.dir, ctx.env)
    : { vars: [] as [string, string][], warning: undefined };
  if (warning) log.warning(warning);
  const env = { ...ctx.env, ...Object.fromEntries(vars) };
  if (ctx.flags.dryRun) {
    print(
      `would run: ${vars.map(([k, v]) => `${k}=${v}`).join(" ")} ${
        argv.join(" ")
      }`,
    );
    return 0;
  }

  const start = nowMs();
  const status = await execute(argv, env);
  if (!c) return status;
  await recordRun(c, {
    argv,
    exit_status: status,
    start: isoLocal(start),
    end: isoLocal(nowMs()),
  });
  if (auto) {
    try {
      await stopJob(c, ctx.env, false);
      const { printJobSummary } = await import("../job_summary.ts");
      await printJobSummary(ctx.settings, c.dir);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      log.warning(e.message);
    }
  }
  return status;
}

/**
 * The job the command's data goes to: started first with -a. epmt never
 * stops a job's work, so where there is none to collect into (not started,
 * already stopped, a refused directory) it says why in one WARNING line and
 * resolves undefined: the command then runs as it would without epmt.
 */
async function jobToCollect(
  ctx: Context,
  auto: boolean,
  program: string,
): Promise<JobContext | undefined> {
  try {
    const c = await currentJobContext(ctx.settings, ctx.env, auto);
    if (auto) await startJob(c, ctx.env, ctx.flags.dryRun);
    if (!ctx.flags.dryRun || !auto) await requireStarted(c);
    return c;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    log.warning(`${e.message}; running ${program} without collection`);
    return undefined;
  }
}

/** Linux signal numbers, for the 128+N exit status. */
const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/**
 * Runs the command with inherited standard streams and resolves its exit
 * status as a shell reports it: 127 not found, 126 not executable, 128+N
 * for death by signal N.
 */
async function execute(
  argv: string[],
  env: Record<string, string>,
): Promise<number> {
  // Like a shell waiting for a foreground job: the terminal's SIGINT and
  // SIGQUIT reach the command directly, so epmt only outlives them; SIGTERM
  // and SIGHUP (a batch system ending the job) are passed on. Installed
  // before the spawn, so a signal arriving meanwhile is passed on too.
  let child: Deno.ChildProcess | undefined;
  const pending: Deno.Signal[] = [];
  const pass = (sig: Deno.Signal) => () =>
    child ? forward(child, sig) : pending.push(sig);
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", () => {}],
    ["SIGQUIT", () => {}],
    ["SIGTERM", pass("SIGTERM")],
    ["SIGHUP", pass("SIGHUP")],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  try {
    try {
      child = new Deno.Command(argv[0], {
        args: argv.slice(1),
        env,
        clearEnv: true,
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        log.error(`cannot run ${argv[0]}: command not found`);
        return 127;
      }
      log.error(
        `cannot run ${argv[0]}: ${
          e instanceof Deno.errors.PermissionDenied
            ? "permission denied"
            : e instanceof Error
            ? e.message
            : e
        }`,
      );
      return 126;
    }
    for (const sig of pending) forward(child, sig);
    const status = await child.status;
    if (status.signal) return 128 + (SIGNALS[status.signal] ?? 0);
    return status.code;
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

function forward(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

import { type CheckResult, fail, pass } from "./result.ts";

const PARANOID = "/proc/sys/kernel/perf_event_paranoid";

/** What each perf_event_paranoid level lets an unprivileged user count. */
function meaning(level: number): string {
  if (level <= -1) return "all events, system-wide";
  if (level === 0) return "own processes and CPU-wide events";
  if (level === 1) return "own processes, user and kernel space";
  if (level === 2) return "own processes, user space only";
  return "no events for unprivileged users";
}

/**
 * The kernel's perf_event_paranoid setting: above 2 (Debian and Ubuntu's
 * 3, for example) no unprivileged process may open performance events, so
 * no event column can be filled for users' jobs.
 */
export async function checkParanoid(isRoot: boolean): Promise<CheckResult> {
  const name = "perf_event_paranoid";
  const text = await readProcFile(PARANOID);
  if (text === undefined) {
    return fail(
      name,
      `${PARANOID} not readable: no perf events on this kernel`,
      "build the kernel with CONFIG_PERF_EVENTS, or leave event names out of papiex_options",
    );
  }
  const level = Number(text.trim());
  const detail = `${level}: ${meaning(level)}`;
  if (level > 2 && !isRoot) {
    return fail(
      name,
      detail,
      `as root: sysctl -w kernel.perf_event_paranoid=2 (and in /etc/sysctl.d/ to keep it)`,
    );
  }
  return pass(name, detail);
}

/**
 * A /proc or /sys file's text, or undefined. Read by `cat` because Deno
 * grants reads below /proc and /sys only with --allow-all, which epmt does
 * not ask for.
 */
export async function readProcFile(path: string): Promise<string | undefined> {
  const out = await new Deno.Command("/bin/cat", {
    args: [path],
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  return out?.success ? new TextDecoder().decode(out.stdout) : undefined;
}

/** Shared by the tests: run the real CLI as a user would, in a sandbox. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const LAUNCHER = join(ROOT, "epmt");
/**
 * The fixtures: a copy of the shared ../shared/fixtures kept in the
 * repository (tests/fixtures/README.md), so any clone can run the tests.
 */
export const FIXTURES = join(ROOT, "tests", "fixtures");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Asserts a refusal: exit 1, one ERROR line naming `file` and saying
 * `what`, and no internal error.
 */
export function refused(r: Result, file: string, what: string): void {
  assertEquals(r.code, 1, r.stderr);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("ERROR"));
  assertEquals(errors.length, 1, r.stderr);
  assertStringIncludes(errors[0], file);
  assertStringIncludes(errors[0], what);
  assert(!r.stderr.includes("internal error"), r.stderr);
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  /** Start without the caller's environment (only PATH and `env`). */
  clearEnv?: boolean;
}

/** Runs `epmt ARGS` through the launcher; never throws on a non-zero exit. */
export async function epmt(
  args: string[],
  opts: RunOptions = {},
): Promise<Result> {
  return await runCmd(LAUNCHER, args, opts);
}

/** Runs any program and collects its exit code and output. */
export async function runCmd(
  program: string,
  args: string[],
  opts: RunOptions = {},
): Promise<Result> {
  const child = new Deno.Command(program, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.clearEnv,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.signal ? 128 + signalNumber(out.signal) : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

function signalNumber(signal: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGTERM: 15,
    SIGABRT: 6,
  };
  return numbers[signal] ?? 0;
}

/**
 * A scratch HOME and papiex_output for one test, so tests never touch the
 * user's ~/.epmt or /tmp/epmt and can run in parallel. Remove with
 * `Deno.remove(sandbox.dir, { recursive: true })`.
 */
export async function sandbox(): Promise<
  { dir: string; env: Record<string, string> }
> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-test-" });
  await Deno.mkdir(join(dir, "home"));
  const env: Record<string, string> = {
    HOME: join(dir, "home"),
    EPMT_PAPIEX_OUTPUT: join(dir, "out") + "/",
    EPMT_DB_FILENAME: join(dir, "epmt.db"),
  };
  return { dir, env };
}

/** True when `path` exists, whatever it is (a dangling symlink too). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the collector, native/libepmt.so (quick when it is up to date);
 * throws with make's messages when that fails.
 */
export async function makeCollector(): Promise<void> {
  const make = await runCmd("make", ["-s", "-C", join(ROOT, "native")]);
  if (make.code !== 0) throw new Error(`make -C native: ${make.stderr}`);
}

/**
 * Runs the real build, scripts/build.ts, as `deno task build` does (the
 * same permissions, read from deno.json), with `args`.
 */
export async function runBuild(
  args: string[],
  opts: RunOptions = {},
): Promise<Result> {
  const deno = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const [_deno, ...task] = (deno.tasks.build as string).split(/\s+/);
  const argv = task.map((a) => a.endsWith(".ts") ? join(ROOT, a) : a);
  return await runCmd(Deno.execPath(), [...argv, ...args], opts);
}

/**
 * `deno compile`: one executable holding the Deno runtime and epmt. The
 * runtime (denort) is downloaded by Deno at compile time; where that host is
 * out of reach the build must say so and carry on with the portable bundle.
 */

/** What came of a compile attempt that did not fail outright. */
export type CompileOutcome =
  | { built: true; path: string }
  | { built: false; reason: string };

/** Options for {@linkcode compile}. */
export interface CompileOptions {
  /** The deno executable that compiles. */
  deno: string;
  /** The project's main.ts. */
  entry: string;
  /** deno.json (import map). */
  config: string;
  /** Output executable. */
  out: string;
  /** Permission flags baked into the executable. */
  permissions: string[];
}

/**
 * Runs `deno compile`. Resolves `{ built: false, reason }` when the Deno
 * runtime could not be had (a machine without access to dl.deno.land);
 * throws with the compiler's own output on any other failure, such as a
 * type error, which must stop the build.
 */
export async function compile(opts: CompileOptions): Promise<CompileOutcome> {
  const out = await new Deno.Command(opts.deno, {
    args: [
      "compile",
      "--quiet",
      "--config",
      opts.config,
      "--no-prompt",
      ...opts.permissions,
      "--output",
      opts.out,
      opts.entry,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.success) return { built: true, path: opts.out };
  const missing = runtimeUnavailable(stderr);
  if (missing) return { built: false, reason: missing };
  throw new Error(`deno compile failed:\n${stderr.trimEnd()}`);
}

/**
 * When `deno compile` failed because it could not fetch its runtime, a
 * one-line reason naming what it tried to fetch; else undefined.
 *
 * @example
 * runtimeUnavailable("... error sending request for url (https://dl.deno.land/x.zip): ... dns error ...");
 */
export function runtimeUnavailable(stderr: string): string | undefined {
  if (!/denort|base binary|dl\.deno\.land/i.test(stderr)) return undefined;
  const url = /request for url \(([^)]+)\)/.exec(stderr)?.[1];
  // The deepest "N: cause" line says what went wrong at the bottom.
  const causes = [...stderr.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1]);
  const cause = causes.filter((c) => !c.startsWith("<")).pop() ??
    stderr.trim().split("\n").pop() ?? "unknown error";
  return `cannot download the Deno runtime${
    url ? ` from ${url}` : ""
  } (${cause.trim()})`;
}

import {
  collectorCandidates,
  collectorVersion,
  findCollector,
} from "../cli/collector_version.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/**
 * The collector library is where `run` looks for it, carries a version and
 * loads: it is preloaded (collecting nothing, PAPIEX_OPTIONS unset) into
 * /bin/true, and the dynamic loader must neither complain nor change the
 * exit status. Resolves the result and the library found.
 */
export async function checkCollector(
  installPrefix: string,
): Promise<{ result: CheckResult; lib?: string }> {
  const name = "collector";
  const lib = findCollector(installPrefix);
  if (!lib) {
    return {
      result: fail(
        name,
        `not found (looked for ${
          collectorCandidates(installPrefix).join(", ")
        })`,
        "keep lib/libepmt.so beside the epmt program, or set install_prefix " +
          "(EPMT_INSTALL_PREFIX) to the folder holding lib/libepmt.so",
      ),
    };
  }
  let version: string | undefined;
  try {
    version = collectorVersion(lib);
  } catch (e) {
    return {
      result: fail(name, `${lib} unreadable (${reason(e)})`, "reinstall it"),
      lib,
    };
  }
  const loaded = await preloadInto(lib, "/bin/true");
  if (loaded) {
    return {
      result: fail(
        name,
        `${lib} does not load: ${loaded}`,
        "reinstall the collector built for this system (x86_64 Linux)",
      ),
      lib,
    };
  }
  return {
    result: pass(name, `${lib}, version ${version ?? "unknown"}, loads`),
    lib,
  };
}

/**
 * Runs `program` with `lib` preloaded; undefined when it ran as usual,
 * else what went wrong (the loader's own message when it printed one).
 */
async function preloadInto(
  lib: string,
  program: string,
): Promise<string | undefined> {
  const out = await new Deno.Command(program, {
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", LD_PRELOAD: lib },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (stderr) return stderr.split("\n")[0];
  if (!out.success) {
    return out.signal
      ? `${program} was killed by ${out.signal}`
      : `${program} exited with ${out.code}`;
  }
  return undefined;
}

import {
  type Collector,
  collectorVersion,
  findCollectorLibs,
  noCollectorMessage,
  unpreloadable,
} from "../job/mod.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/**
 * The collector `run` would preload (ours, or a real papiex) is there,
 * carries a version and loads: it is preloaded (collecting nothing,
 * PAPIEX_OPTIONS unset) into /bin/true, and the dynamic loader must neither
 * complain nor change the exit status. Resolves the result and the
 * collector found.
 */
export async function checkCollector(
  installPrefix: string,
): Promise<{ result: CheckResult; collector?: Collector }> {
  const name = "collector";
  const collector = findCollectorLibs(installPrefix);
  if (!collector) {
    return {
      result: fail(
        name,
        noCollectorMessage(installPrefix).replace(/; running without.*/, ""),
        "keep lib/libepmt.so beside the epmt program, or set install_prefix " +
          "(EPMT_INSTALL_PREFIX) to the folder holding lib/libepmt.so",
      ),
    };
  }
  const unfit = unpreloadable(collector);
  if (unfit) {
    return {
      result: fail(
        name,
        unfit,
        "install epmt where its path has no space or colon, or set " +
          "install_prefix (EPMT_INSTALL_PREFIX) to such a folder holding " +
          "lib/libepmt.so",
      ),
      collector,
    };
  }
  const libs = collector.preload.join(":");
  let version: string | undefined;
  try {
    version = collector.kind === "epmt"
      ? collectorVersion(collector.preload[0])
      : "papiex";
  } catch (e) {
    return {
      result: fail(name, `${libs} unreadable (${reason(e)})`, "reinstall it"),
      collector,
    };
  }
  const problem = await preloadInto(libs, "/bin/true");
  if (problem) {
    return {
      result: fail(
        name,
        `${libs} does not load: ${problem}`,
        "reinstall the collector built for this system (x86_64 Linux)",
      ),
      collector,
    };
  }
  return {
    result: pass(name, `${libs}, version ${version ?? "unknown"}, loads`),
    collector,
  };
}

/**
 * Runs `program` with `preload` as LD_PRELOAD; undefined when it ran as
 * usual, else what went wrong (the loader's own message when it printed
 * one).
 */
async function preloadInto(
  preload: string,
  program: string,
): Promise<string | undefined> {
  const out = await new Deno.Command(program, {
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin", LD_PRELOAD: preload },
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

/**
 * Which collector `run` and `source` preload, and with which options: our
 * own libepmt.so (`<prefix>/lib/` in an installation, `<prefix>/native/` in
 * a checkout), else a real papiex install (`<prefix>/lib/libpapiex.so` and
 * `libmonitor.so`). install_prefix "" means the epmt program's directory.
 */
import { join, resolve } from "node:path";
import { collectorCandidates, findCollector } from "./collector_version.ts";
import { programDir } from "../program_dir.ts";
import { isFile } from "../io.ts";

/** A collector found on disk: what to put in LD_PRELOAD, in order. */
export interface Collector {
  kind: "epmt" | "papiex";
  preload: string[];
}

/** The directory the collector is looked for under (absolute). */
export function collectorPrefix(installPrefix: string): string {
  return resolve(installPrefix || programDir());
}

/** The collector under install_prefix, or undefined when there is none. */
export function findCollectorLibs(
  installPrefix: string,
): Collector | undefined {
  const prefix = collectorPrefix(installPrefix);
  const ours = findCollector(prefix);
  if (ours) return { kind: "epmt", preload: [ours] };
  const papiex = join(prefix, "lib", "libpapiex.so");
  const monitor = join(prefix, "lib", "libmonitor.so");
  if (isFile(papiex) && isFile(monitor)) {
    return { kind: "papiex", preload: [papiex, monitor] };
  }
  return undefined;
}

/** The warning when no collector is found, naming where we looked. */
export function noCollectorMessage(installPrefix: string): string {
  const prefix = collectorPrefix(installPrefix);
  const looked = [
    ...collectorCandidates(prefix),
    join(prefix, "lib", "libpapiex.so") + " + libmonitor.so",
  ];
  return `no collector library found under ${prefix} (looked for ${
    looked.join(", ")
  }); running without collection`;
}

/**
 * PAPIEX_OPTIONS for the collector: a set papiex_options is passed
 * unchanged; unset, ours gets PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV (one
 * appended file per host) and real papiex PERF_COUNT_SW_CPU_CLOCK.
 */
export function papiexOptions(
  collector: Collector | undefined,
  setting: string,
): string {
  if (setting) return setting;
  return collector?.kind === "papiex"
    ? "PERF_COUNT_SW_CPU_CLOCK"
    : "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV";
}

/**
 * LD_PRELOAD with our libraries first and the existing entries kept after
 * them (without repeating ours).
 */
export function mergePreload(
  ours: string[],
  existing: string | undefined,
): string {
  const rest = (existing ?? "").split(/[:\s]+/).filter((p) =>
    p && !ours.includes(p)
  );
  return [...ours, ...rest].join(":");
}

/**
 * Why the collector cannot go into LD_PRELOAD, or undefined when it can:
 * the dynamic loader splits the list at spaces and colons, so a library
 * under a path holding one would be looked for in pieces.
 */
export function unpreloadable(collector: Collector): string | undefined {
  const bad = collector.preload.find((p) => /[\s:]/.test(p));
  return bad === undefined
    ? undefined
    : `collector ${bad} cannot be preloaded: LD_PRELOAD splits its list at spaces and colons`;
}

/**
 * The collector environment of a job: PAPIEX_OPTIONS, PAPIEX_OUTPUT (the job
 * directory, with its trailing slash) and, when a collector is found that
 * can be preloaded, LD_PRELOAD. Otherwise `collector` is undefined and
 * `warning` says why nothing will be collected.
 */
export function collectorEnv(
  settings: { install_prefix: string; papiex_options: string },
  dir: string,
  env: Record<string, string>,
): { vars: [string, string][]; collector?: Collector; warning?: string } {
  const found = findCollectorLibs(settings.install_prefix);
  const vars: [string, string][] = [
    ["PAPIEX_OPTIONS", papiexOptions(found, settings.papiex_options)],
    ["PAPIEX_OUTPUT", dir],
  ];
  if (!found) {
    return { vars, warning: noCollectorMessage(settings.install_prefix) };
  }
  const problem = unpreloadable(found);
  if (problem) {
    return { vars, warning: `${problem}; running without collection` };
  }
  vars.push(["LD_PRELOAD", mergePreload(found.preload, env.LD_PRELOAD)]);
  return { vars, collector: found };
}

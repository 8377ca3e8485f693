import { UserError } from "../errors.ts";
import { VERSION } from "../version.ts";
import {
  collectorCandidates,
  collectorPrefix,
  collectorVersion,
  findCollectorLibs,
} from "../job/mod.ts";
import type { Context } from "./context.ts";

/**
 * `epmt --version`: epmt's version, the collector library `run` would use
 * and its version, and the Deno runtime underneath. The first line is
 * always `epmt <version>`, for scripts.
 *
 * @example
 * // epmt 0.1.0
 * // collector 0.1.0 /opt/epmt/lib/libepmt.so
 * // deno 2.9.6
 */
export function versionText(ctx: Context): Promise<string> {
  return Promise.resolve(
    [`epmt ${VERSION}`, collectorLine(ctx), `deno ${Deno.version.deno}`]
      .join("\n"),
  );
}

function collectorLine(ctx: Context): string {
  let prefix: string;
  try {
    prefix = ctx.settings.install_prefix;
  } catch (e) {
    // A broken settings file must not hide the version; say why instead.
    if (!(e instanceof UserError)) throw e;
    return `collector unknown (${e.message})`;
  }
  const collector = findCollectorLibs(prefix);
  if (!collector) {
    return `collector not found (looked for ${
      collectorCandidates(collectorPrefix(prefix)).join(", ")
    })`;
  }
  if (collector.kind === "papiex") {
    return `collector papiex ${collector.preload.join(":")}`;
  }
  const lib = collector.preload[0];
  let version: string | undefined;
  try {
    version = collectorVersion(lib);
  } catch (e) {
    return `collector unreadable ${lib} (${
      e instanceof Error ? e.message : e
    })`;
  }
  return `collector ${version ?? "(no version marker)"} ${lib}`;
}

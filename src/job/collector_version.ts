/**
 * Where epmt looks for its collector library and how it reads the
 * collector's version: the C library embeds `EPMT_COLLECTOR_VERSION=x.y.z`,
 * so the version is known without loading (or trusting) the library.
 */
import { join } from "node:path";
import { programDir } from "../program_dir.ts";

/** The file name of the collector library. */
export const COLLECTOR_LIB = "libepmt.so";

const MARKER = "EPMT_COLLECTOR_VERSION=";

/**
 * The places `run` looks for the collector, in order: `<prefix>/lib/` (an
 * installed or bundled epmt), then `<prefix>/native/` (a checkout).
 * An empty install_prefix means the directory of the epmt program.
 *
 * @example
 * collectorCandidates("/opt/epmt"); // ["/opt/epmt/lib/libepmt.so", ...]
 */
export function collectorCandidates(installPrefix: string): string[] {
  const prefix = installPrefix || programDir();
  return [
    join(prefix, "lib", COLLECTOR_LIB),
    join(prefix, "native", COLLECTOR_LIB),
  ];
}

/** The first candidate that is a file, or undefined. */
export function findCollector(installPrefix: string): string | undefined {
  return collectorCandidates(installPrefix).find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * The version embedded in a collector library, or undefined when the file
 * carries no version marker. Throws if the file cannot be read.
 */
export function collectorVersion(path: string): string | undefined {
  // latin1 maps every byte to one character, so offsets survive decoding.
  const text = new TextDecoder("latin1").decode(Deno.readFileSync(path));
  const at = text.indexOf(MARKER);
  if (at < 0) return undefined;
  const m = /^[0-9A-Za-z.+-]+/.exec(text.slice(at + MARKER.length, at + 80));
  return m?.[0];
}

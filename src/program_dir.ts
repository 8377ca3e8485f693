import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory epmt runs from: the checkout or bundle folder holding the
 * main script, or the folder of a `deno compile` binary. The collector
 * library and a site settings.json are looked up relative to it, so the
 * program and its lib/ can be copied anywhere together.
 */
export function programDir(): string {
  const override = Deno.env.get("EPMT_PROGRAM_DIR");
  if (override) return override;
  const main = Deno.mainModule;
  // A compiled binary's main module lives in a virtual file system.
  if (main.startsWith("file://") && !isCompiled()) {
    return dirname(fileURLToPath(main));
  }
  return dirname(Deno.execPath());
}

function isCompiled(): boolean {
  const exe = Deno.execPath();
  return !/(^|\/)deno$/.test(exe);
}

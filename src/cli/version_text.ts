import { VERSION } from "../version.ts";
import type { Context } from "./context.ts";

/** `epmt --version`: epmt's version, then the collector's once it exists. */
export function versionText(_ctx: Context): Promise<string> {
  return Promise.resolve(`epmt ${VERSION}`);
}

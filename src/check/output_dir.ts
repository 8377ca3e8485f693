import { join } from "node:path";
import { makeOutputRoot } from "../job/mod.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/**
 * papiex_output can be created and written: the collector writes every
 * job's files below it from every process of the job. A probe file is
 * written and removed; a directory the check had to create is left, made
 * as `start` makes it (open to all users, sticky), so an admin's check as
 * root does not lock users out.
 */
export async function checkOutputDir(dir: string): Promise<CheckResult> {
  const name = "papiex_output";
  const fix =
    `create it writable for all users (install -d -m 1777 ${dir}) or set ` +
    `papiex_output / EPMT_PAPIEX_OUTPUT to a writable node-local directory`;
  try {
    await makeOutputRoot(dir.replace(/\/+$/, "") || "/");
    const probe = join(dir, `.epmt-check-${Deno.pid}`);
    Deno.writeTextFileSync(probe, "probe\n");
    Deno.removeSync(probe);
  } catch (e) {
    return fail(name, `${dir} is not writable (${reason(e)})`, fix);
  }
  return pass(name, `${dir} is writable`);
}

import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../../errors.ts";
import * as log from "../../log.ts";
import {
  currentJobContext,
  currentJobDir,
  exists,
  METADATA_FILE,
  readJobMetadata,
  RUNS_FILE,
  START_FILE,
} from "../../job/mod.ts";
import type { Context } from "../context.ts";
import { ioReason, print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt stage`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "stage",
  summary: "archive a stopped job's directory to <jobid>.tgz",
  synopsis: ["[-n] [JOBDIR...]"],
  description:
    `Archives each stopped job directory (default: the current job's) to
<jobid>.tgz in the stage_dest setting's directory (default: the current
directory), members ./job_metadata and the collector files, reads the
archive back to verify every member, then removes the directory. Prints the
archive's path. A job that is not stopped is refused; an existing archive is
never overwritten. With -n nothing is written or removed.`,
  positionals: [{
    name: "JOBDIR",
    variadic: true,
    optional: true,
    complete: "file",
    help: "a stopped job's directory",
  }],
  options: [],
});

/** `epmt stage`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const dirs = ctx.parse(command, args).positional;
  if (dirs.length === 0) {
    const c = await currentJobContext(ctx.settings, ctx.env, false);
    dirs.push(await currentJobDir(c));
  }
  let failed = 0;
  for (const dir of dirs) {
    try {
      const out = await stageOne(
        dir,
        ctx.settings.stage_dest,
        ctx.flags.dryRun,
      );
      print(out);
    } catch (e) {
      if (!(e instanceof UserError) || dirs.length === 1) throw e;
      log.error(e.message);
      failed++;
    }
  }
  return failed ? 1 : 0;
}

async function stageOne(
  given: string,
  dest: string,
  dryRun: boolean,
): Promise<string> {
  const dir = given.replace(/\/+$/, "") || "/";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw new UserError(`job directory ${dir}: ${ioReason(e)}`);
  }
  if (!info.isDirectory) throw new UserError(`${dir} is not a job directory`);
  if (!(await exists(join(dir, METADATA_FILE)))) {
    if (await exists(join(dir, START_FILE))) {
      throw new UserError(
        `job in ${dir} is not stopped (no ${METADATA_FILE}): run epmt stop first`,
      );
    }
    throw new UserError(`${dir} has no ${METADATA_FILE}: not a job directory`);
  }
  const meta = await readJobMetadata(dir);
  const id = meta.job_pl_id;
  if (!id || id === "." || id === ".." || /[/\0]/.test(id)) {
    throw new UserError(
      `${dir}: job id ${JSON.stringify(id)} cannot name an archive`,
    );
  }
  const files = await listFiles(dir);
  const out = resolve(dest, `${id}.tgz`);
  // The directory is removed once archived: an archive inside it would go too.
  if (isWithin(realPath(resolve(dest)), realPath(resolve(dir)))) {
    throw new UserError(
      `stage_dest ${dest} is inside the job directory ${dir}, which stage removes: stage to another directory`,
    );
  }
  if (await exists(out)) {
    throw new UserError(`${out} already exists; not overwriting it`);
  }
  if (dryRun) {
    return `would archive ${files.length} files of ${dir} to ${out} and remove ${dir}`;
  }
  try {
    await Deno.mkdir(resolve(dest), { recursive: true });
  } catch (e) {
    throw new UserError(
      `cannot create stage directory ${dest}: ${ioReason(e)}`,
    );
  }
  const { createArchive, listArchive } = await import("../../archive/mod.ts");
  const written = await createArchive(out, dir, files);
  let readBack;
  try {
    readBack = await listArchive(out);
  } catch (e) {
    await Deno.remove(out).catch(() => {});
    throw e;
  }
  const same = readBack.length === written.length &&
    readBack.every((m, i) =>
      m.path === written[i].path && m.size === written[i].size &&
      m.sha256 === written[i].sha256
    );
  if (!same) {
    await Deno.remove(out).catch(() => {});
    throw new UserError(
      `${out} did not verify (members differ from ${dir}); ${dir} is kept`,
    );
  }
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (e) {
    log.warning(`staged ${out} but could not remove ${dir}: ${ioReason(e)}`);
  }
  log.info(`staged job ${id}: ${written.length} files in ${out}`);
  return out;
}

/**
 * The files to archive, relative to `dir`: job_metadata first, then the
 * rest sorted; epmt's own leftovers (start record, run log) are left out.
 * Anything that is not a plain file or directory is refused, since the
 * directory is removed afterwards.
 */
async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(dir, rel))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        if (!rel && (e.name === START_FILE || e.name === RUNS_FILE)) continue;
        files.push(path);
      } else {
        throw new UserError(
          `${join(dir, path)} is not a regular file; not staging ${dir}`,
        );
      }
    }
  };
  await walk("");
  files.sort();
  return [METADATA_FILE, ...files.filter((f) => f !== METADATA_FILE)];
}

/**
 * `path` with symlinks resolved as far as it exists (stage_dest may not
 * exist yet): the real path of its longest existing part, then the rest.
 */
function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/** True when `path` is `dir` or below it. */
function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

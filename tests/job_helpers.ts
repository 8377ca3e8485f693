/** Shared by the job lifecycle tests: a clean job environment and lookups. */
import { join } from "node:path";
import { epmt, LAUNCHER, type Result, runCmd, sandbox } from "./helpers.ts";

export { epmt, LAUNCHER, type Result, runCmd };

/** A sandbox whose environment has no batch variables of the caller's. */
export interface JobBox {
  dir: string;
  out: string;
  /** PATH, HOME, papiex_output, SQLite file and stage_dest in the sandbox. */
  env: Record<string, string>;
  /** Runs `epmt ARGS` with only this environment plus `extra`. */
  epmt(
    args: string[],
    extra?: Record<string, string>,
    stdin?: string,
  ): Promise<Result>;
  /** Runs any program with only this environment plus `extra`. */
  run(
    program: string,
    args: string[],
    extra?: Record<string, string>,
  ): Promise<Result>;
  remove(): Promise<void>;
}

/**
 * A sandbox for job tests. The environment is cleared (so a SLURM job
 * running the tests cannot leak its variables in), and install_prefix
 * points at an empty folder unless the test sets EPMT_INSTALL_PREFIX, so
 * no collector is preloaded by accident.
 */
export async function jobBox(): Promise<JobBox> {
  const box = await sandbox();
  const noPrefix = join(box.dir, "no-collector");
  await Deno.mkdir(noPrefix);
  await Deno.mkdir(join(box.dir, "stage"));
  const env: Record<string, string> = {
    ...box.env,
    PATH: "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    EPMT_INSTALL_PREFIX: noPrefix,
    EPMT_STAGE_DEST: join(box.dir, "stage"),
  };
  // Share Deno's compile cache with the caller: a fresh HOME would make
  // every command recompile the sources.
  const denoDir = Deno.env.get("DENO_DIR") ??
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".cache/deno") : "");
  if (denoDir) env.DENO_DIR = denoDir;
  return {
    dir: box.dir,
    out: env.EPMT_PAPIEX_OUTPUT,
    env,
    epmt: (args, extra = {}, stdin) =>
      epmt(args, { env: { ...env, ...extra }, clearEnv: true, stdin }),
    run: (program, args, extra = {}) =>
      runCmd(program, args, { env: { ...env, ...extra }, clearEnv: true }),
    remove: () => Deno.remove(box.dir, { recursive: true }),
  };
}

/** SLURM's job variables for a job id. */
export function slurm(
  id: string,
  name = `job_${id}`,
  user = "Foo.Bar",
): Record<string, string> {
  return { SLURM_JOB_ID: id, SLURM_JOB_NAME: name, SLURM_JOB_USER: user };
}

/** A job's finished metadata as JSON. */
export async function metadataOf(
  dir: string,
): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(join(dir, "job_metadata")));
}

/** The names in a directory, sorted; [] when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * The WARNING/ERROR lines of a run's stderr, without the "no collector
 * library found" warning (tests run without a collector unless they say).
 */
export function logLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) =>
    /^(WARNING|ERROR|INFO):epmt: /.test(l) &&
    !l.includes("no collector library found under")
  );
}

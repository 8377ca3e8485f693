/**
 * The fast tier's harness: runs the CLI in this process, main(argv, env)
 * from src/cli/mod.ts, with its standard output and standard error
 * captured (src/io.ts captureOutput), so a test costs milliseconds, not a
 * Deno start-up.
 */
import { join } from "node:path";
import { main } from "../../src/cli/mod.ts";
import { captureOutput } from "../../src/io.ts";
import { fixtureJob } from "../query_helpers.ts";
import type { Result } from "../helpers.ts";

export type { Result };

/** Runs `epmt ARGS` in-process with exactly `env`; never throws. */
export async function epmtIn(
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> {
  const r = await captureOutput(() => main(args, env));
  return { code: r.value, stdout: r.stdout, stderr: r.stderr };
}

/** A scratch HOME, papiex_output and SQLite file for one test file. */
export interface Box {
  dir: string;
  env: Record<string, string>;
  /** Runs `epmt ARGS` in-process in this box (plus `env`). */
  epmt(args: string[], env?: Record<string, string>): Promise<Result>;
}

/**
 * Makes a box, removed when the test file's worker ends (so the tests of
 * one file can share it).
 */
export async function box(): Promise<Box> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-unit-" });
  await Deno.mkdir(join(dir, "home"));
  const env: Record<string, string> = {
    HOME: join(dir, "home"),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    EPMT_PAPIEX_OUTPUT: join(dir, "out") + "/",
    EPMT_DB_FILENAME: join(dir, "epmt.db"),
    EPMT_STAGE_DEST: join(dir, "stage") + "/",
  };
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return {
    dir,
    env,
    epmt: (args, more = {}) => epmtIn(args, { ...env, ...more }),
  };
}

/** The jobs of queryBox(): id, fixture folder and job_metadata changes. */
export const JOBS = [
  ["u-tree", "tree", { day: 25 }],
  ["u-tagged", "tagged", { day: 26, user: "bob", tags: { run: "a" } }],
  ["u-threads", "threads", { day: 27, exp: "OM4", tags: { run: "b" } }],
  ["u-failing", "failing", { day: 24, status: 3 }],
  ["u-signal", "signal", { day: 23, user: "bob" }],
] as const;

/**
 * A box whose SQLite database holds the JOBS, made from the shared
 * fixtures and loaded with `epmt submit` in-process.
 */
export async function queryBox(): Promise<Box> {
  const b = await box();
  const dirs: string[] = [];
  for (const [id, fixture, o] of JOBS) {
    const d = String(o.day);
    dirs.push(
      await fixtureJob(join(b.dir, "jobs"), id, fixture, {
        job_pl_start: `2026-11-${d}T10:00:00.000000+00:00`,
        job_el_stop: `2026-11-${d}T10:05:00.000000+00:00`,
        ...("user" in o ? { job_pl_username: o.user } : {}),
        ...("tags" in o ? { job_tags: o.tags } : {}),
        ...("exp" in o ? { exp_name: o.exp } : {}),
        ...("status" in o ? { job_el_status: o.status } : {}),
      }),
    );
  }
  const r = await b.epmt(["submit", ...dirs]);
  if (r.code !== 0) throw new Error(`submit failed: ${r.stdout}${r.stderr}`);
  return b;
}

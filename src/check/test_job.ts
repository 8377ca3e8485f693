import { join } from "node:path";
import { programDir } from "../program_dir.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/** The program the test job runs: a shell that starts one child. */
const TEST_ARGV = ["/bin/sh", "-c", "/bin/true"];

/**
 * How to run this same epmt as a new process: the compiled binary itself,
 * or the launcher beside the program (the bundle's and the checkout's
 * `epmt`). Undefined when neither is there.
 */
export function selfCommand(): string[] | undefined {
  if (Deno.build.standalone) return [Deno.execPath()];
  const launcher = join(programDir(), "epmt");
  try {
    const st = Deno.statSync(launcher);
    if (st.isFile && (st.mode ?? 0) & 0o111) return [launcher];
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * A tiny job, `epmt -a run /bin/sh -c /bin/true`, run as a user would run
 * it but with papiex_output in a scratch directory (removed afterwards), so
 * nothing of a real job is touched. Passes when the job directory holds
 * job_metadata and collector files with at least one process row.
 */
export async function checkTestJob(
  env: Record<string, string>,
): Promise<CheckResult> {
  const name = "test_job";
  const shown = `epmt -a run ${TEST_ARGV.join(" ")}`;
  const self = selfCommand();
  if (!self) {
    return fail(
      name,
      `cannot find the epmt launcher or binary to run ${shown}`,
      `run epmt through its launcher (${join(programDir(), "epmt")})`,
    );
  }
  const scratch = await Deno.makeTempDir({ prefix: "epmt-check-" });
  try {
    const childEnv: Record<string, string> = {
      ...env,
      EPMT_PAPIEX_OUTPUT: scratch + "/",
    };
    // Inside a collected shell (export $(epmt source)) the test must not be
    // collected into the user's own job.
    for (const v of ["LD_PRELOAD", "PAPIEX_OUTPUT", "PAPIEX_OPTIONS"]) {
      delete childEnv[v];
    }
    const out = await new Deno.Command(self[0], {
      args: [...self.slice(1), "-a", "run", ...TEST_ARGV],
      clearEnv: true,
      env: childEnv,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n")
        .filter((l) => !l.startsWith("WARNING:")).pop();
      return fail(
        name,
        `${shown} failed (exit ${out.code})${err ? `: ${err}` : ""}`,
        `run ${shown} by hand with -vv to see why`,
      );
    }
    const found = summarize(scratch);
    if (!found.metadata) {
      return fail(
        name,
        `${shown} wrote no job_metadata under ${scratch}`,
        `run ${shown} by hand with -vv to see why`,
      );
    }
    if (found.rows === 0) {
      return fail(
        name,
        `${shown} ran but the collector wrote no data`,
        "see the collector line above; check that LD_PRELOAD is not " +
          "cleared by a site profile and that papiex_options is not empty",
      );
    }
    return pass(
      name,
      `${shown}: job ${found.jobid}, ${found.rows} process row(s) in ${found.files} collector file(s)`,
    );
  } catch (e) {
    return fail(name, `${shown}: ${reason(e)}`, "see the message");
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/** What the test job left: <scratch>/<user>/<jobid>/{job_metadata,*papiex*}. */
function summarize(scratch: string): {
  jobid?: string;
  metadata: boolean;
  files: number;
  rows: number;
} {
  let metadata = false, files = 0, rows = 0, jobid: string | undefined;
  for (const user of Deno.readDirSync(scratch)) {
    if (!user.isDirectory) continue;
    for (const job of Deno.readDirSync(join(scratch, user.name))) {
      if (!job.isDirectory) continue;
      jobid = job.name;
      const dir = join(scratch, user.name, job.name);
      for (const f of Deno.readDirSync(dir)) {
        if (f.name === "job_metadata") metadata = true;
        if (!f.isFile || !/papiex.*\.(csv|tsv)$/.test(f.name)) continue;
        if (/-header\.tsv$/.test(f.name)) continue;
        files++;
        rows += dataRows(join(dir, f.name));
      }
    }
  }
  return { jobid, metadata, files, rows };
}

/** Lines that carry data: CSV minus its header line; TSV has none. */
function dataRows(path: string): number {
  const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l);
  return path.endsWith(".csv") ? Math.max(0, lines.length - 1) : lines.length;
}

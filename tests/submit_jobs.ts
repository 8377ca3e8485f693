/**
 * Job directories for the submit tests: collector files from the shared
 * fixtures (or written by the test) beside a job_metadata in our JSON form,
 * and an independent reading of papiex CSV to check stored values against.
 */
import { join } from "node:path";
import { encodeMetadata, type JobMetadata } from "../src/job/metadata.ts";
import { FIXTURES } from "./helpers.ts";

export const PAPIEX = join(FIXTURES, "papiex");

/** A complete job_metadata record for `jobid`. */
export function metadata(
  jobid: string,
  extra: Partial<JobMetadata> = {},
): JobMetadata {
  return {
    format_version: 1,
    exp_component: "atmos",
    exp_jobname: "CM4_piControl_C_atmos_00050101",
    exp_name: "CM4_piControl_C",
    exp_oname: "00050101",
    job_pl_env: { HOME: "/home/alice", SHELL: "/bin/bash" },
    job_pl_env_len: 2,
    job_pl_from_batch: ["SLURM_JOB_ID"],
    job_pl_groupnames: ["users"],
    job_pl_hostname: "vm",
    job_pl_id: jobid,
    job_pl_jobname: "CM4_piControl_C_atmos_00050101",
    job_pl_scriptname: "job.sh",
    job_pl_start: "2026-11-25T21:20:00.000000-05:00",
    job_pl_submit: "2026-11-25T21:19:00.000000-05:00",
    job_pl_username: "alice",
    job_tags: { exp: "x" },
    job_el_env_changes: {},
    job_el_env_changes_len: 0,
    job_el_from_batch: ["SLURM_JOB_ID"],
    job_el_status: 0,
    job_el_stop: "2026-11-25T21:25:00.000000-05:00",
    job_runs: [],
    ...extra,
  };
}

/**
 * Makes `<parent>/<jobid>/` holding job_metadata and copies of the files of
 * fixture folder `fixture` (under ../shared/fixtures/papiex); returns it.
 */
export async function jobFromFixture(
  parent: string,
  jobid: string,
  fixture: string,
  extra: Partial<JobMetadata> = {},
): Promise<string> {
  const dir = join(parent, jobid);
  await Deno.mkdir(dir, { recursive: true });
  for (const e of Deno.readDirSync(join(PAPIEX, fixture))) {
    await Deno.copyFile(join(PAPIEX, fixture, e.name), join(dir, e.name));
  }
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(metadata(jobid, extra)),
  );
  return dir;
}

/** One process as the CSV files say, read independently of src/ingest. */
export interface FileProcess {
  pid: number;
  ppid: number;
  host: string;
  exename: string;
  args: string;
  numtids: number;
  usertime: number;
  systemtime: number;
  rssmax: number;
  start: number;
  end: number;
  exitcode: number;
}

/** Reads every papiex CSV file in `dir` the slow, obvious way. */
export function readCsvDir(dir: string): FileProcess[] {
  const out: FileProcess[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".csv")) continue;
    const lines = Deno.readTextFileSync(join(dir, e.name)).split("\n")
      .filter((l) => l !== "");
    const names = lines[0].split(",");
    let current: FileProcess | undefined;
    for (const line of lines.slice(1)) {
      const f = fields(line);
      const v = (n: string) => f[names.indexOf(n)];
      if (v("pid") !== "") {
        current = {
          pid: +v("pid"),
          ppid: +v("ppid"),
          host: v("hostname"),
          exename: v("exename"),
          args: v("args"),
          numtids: +v("numtids"),
          usertime: 0,
          systemtime: 0,
          rssmax: 0,
          start: +v("start"),
          end: +v("end"),
          exitcode: +v("exitcode"),
        };
        out.push(current);
      }
      current!.usertime += +v("usertime");
      current!.systemtime += +v("systemtime");
      current!.rssmax = Math.max(current!.rssmax, +v("rssmax"));
    }
  }
  return out;
}

/** Splits one CSV line, undoing the backslash escapes. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  const map: Record<string, string> = {
    n: "\n",
    t: "\t",
    r: "\r",
    a: "\x07",
    b: "\b",
    f: "\f",
    v: "\v",
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && i + 1 < line.length) {
      const d = line[++i];
      cur += map[d] ?? (d === "\\" || d === "," ? d : "\\" + d);
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

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
  return await writeFixtureJob(parent, fixture, metadata(jobid, extra));
}

/**
 * Makes `<parent>/<job_pl_id>/` holding `record` as job_metadata and copies
 * of the files of fixture folder `fixture`; returns it.
 */
export async function writeFixtureJob(
  parent: string,
  fixture: string,
  record: JobMetadata,
): Promise<string> {
  const dir = join(parent, record.job_pl_id);
  await Deno.mkdir(dir, { recursive: true });
  for (const e of Deno.readDirSync(join(PAPIEX, fixture))) {
    await Deno.copyFile(join(PAPIEX, fixture, e.name), join(dir, e.name));
  }
  await Deno.writeTextFile(join(dir, "job_metadata"), encodeMetadata(record));
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
      const f = papiexFields(line);
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

/**
 * Splits one papiex CSV line, undoing the backslash escapes (an unknown
 * escape is kept as written), without src/ingest.
 */
export function papiexFields(line: string): string[] {
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

/** A tar member for `tarGz`: a file, or a link/directory by `type`. */
export interface TarEntry {
  name: string;
  content?: string;
  /** "0" file (default), "2" symlink, "1" hard link, "5" directory. */
  type?: string;
  link?: string;
}

/** A gzip tar of `entries`, written by hand (hostile names allowed). */
export async function tarGz(path: string, entries: TarEntry[]): Promise<void> {
  const { gzipSync } = await import("node:zlib");
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const body = enc.encode(e.content ?? "");
    const h = new Uint8Array(512);
    const put = (off: number, len: number, s: string) =>
      h.set(enc.encode(s).subarray(0, len), off);
    put(0, 100, e.name);
    put(100, 8, "0000644\0");
    put(108, 8, "0000000\0");
    put(116, 8, "0000000\0");
    put(124, 12, body.length.toString(8).padStart(11, "0") + "\0");
    put(136, 12, "14712345670\0");
    put(148, 8, "        ");
    put(156, 1, e.type ?? "0");
    put(157, 100, e.link ?? "");
    put(257, 6, "ustar\0");
    put(263, 2, "00");
    let sum = 0;
    for (const b of h) sum += b;
    put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(h, body, new Uint8Array((512 - body.length % 512) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const size = blocks.reduce((a, b) => a + b.length, 0);
  const tar = new Uint8Array(size);
  let off = 0;
  for (const b of blocks) {
    tar.set(b, off);
    off += b.length;
  }
  await Deno.writeFile(path, gzipSync(tar));
}

/**
 * A job of about `n` processes in one concatenated CSV: the tree sample
 * repeated with fresh pids. Returns the number of processes.
 */
export async function bigJob(
  dir: string,
  jobid: string,
  n: number,
): Promise<number> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "job_metadata"),
    encodeMetadata(metadata(jobid)),
  );
  const tree = join(PAPIEX, "tree");
  const files = [...Deno.readDirSync(tree)].map((e) => e.name).sort();
  const texts = files.map((f) =>
    Deno.readTextFileSync(join(tree, f)).split("\n")
  );
  const header = texts[0][0];
  const cols = header.split(",");
  const shiftable = ["pid", "ppid", "tid"].map((c) => cols.indexOf(c));
  const out = await Deno.open(join(dir, `vm-collated-papiex-${jobid}-0.csv`), {
    write: true,
    create: true,
    truncate: true,
  });
  const enc = new TextEncoder();
  await out.write(enc.encode(header + "\n"));
  let made = 0;
  for (let r = 0; made < n; r++) {
    let text = "";
    for (const lines of texts) {
      for (const line of lines.slice(1)) {
        if (!line) continue;
        // Fields before args hold no commas in this sample; shift by split.
        const f = line.split(",");
        const off = f.length - cols.length;
        for (const k of shiftable) {
          const i = k + off;
          if (f[i] !== "") f[i] = String(Number(f[i]) + r * 10000);
        }
        text += f.join(",") + "\n";
      }
      made++;
    }
    await out.write(enc.encode(text));
  }
  out.close();
  return made;
}

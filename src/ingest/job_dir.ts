/**
 * Reading one job directory: its job_metadata and every collector file in
 * it (per-process and concatenated CSV, collated TSV with its header), into
 * a ProcessTable with the process tree computed. Files are read, never
 * changed.
 */
import { join } from "node:path";
import { UserError } from "../errors.ts";
import { type JobInfo, readJobInfo } from "./job_info.ts";
import { PapiexCsvReader } from "./papiex_csv.ts";
import { forEachFileParallel, PARALLEL_MIN_FILES } from "./parallel_files.ts";
import { PapiexTsvReader, tsvHeaderPath } from "./papiex_tsv.ts";
import { ProcessTable } from "./process_table.ts";
import { RowWriter } from "./row_writer.ts";

/** The collector files found in a job directory, by form. */
export interface JobFiles {
  /** Per-process and concatenated CSV files (names). */
  csv: string[];
  /** Collated TSV data files (names); each has its -header.tsv. */
  tsv: string[];
  /** Files that are none of these (left alone). */
  other: string[];
}

/** What reading a job gave. */
export interface ReadJob {
  info: JobInfo;
  table: ProcessTable;
  files: JobFiles;
}

/**
 * Reports progress: files read so far of the total, or for a job of a few
 * large files, bytes of the current file (`unit` says which).
 */
export type FileProgress = (
  done: number,
  total: number,
  unit: "files" | "bytes",
) => void;

/**
 * Turns a file-name pattern (`*`, `?`, `[...]`) into a RegExp for whole
 * names.
 *
 * @example
 * globToRegExp("*-papiex-[0-9]*-[0-9]*.csv").test("vm-papiex-5649-0.csv"); // true
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) re += "\\[";
      else {
        let set = glob.slice(i + 1, close).replace(/\\/g, "\\\\");
        if (set[0] === "!") set = "^" + set.slice(1);
        re += `[${set}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const COLLATED_CSV = /-collated-papiex-.*\.csv$/;
const TSV_DATA = /-papiex\.tsv$/;
const TSV_HEADER = /-papiex-header\.tsv$/;
const METADATA = /^job_metadata(\.tmp)?$/;

/** Sorts a directory's names into collector files by form. */
export function classifyFiles(names: string[], inputPattern: string): JobFiles {
  const pattern = globToRegExp(inputPattern);
  const files: JobFiles = { csv: [], tsv: [], other: [] };
  for (const name of names) {
    if (pattern.test(name) || COLLATED_CSV.test(name)) files.csv.push(name);
    else if (TSV_DATA.test(name)) files.tsv.push(name);
    else if (!TSV_HEADER.test(name) && !METADATA.test(name)) {
      files.other.push(name);
    }
  }
  return files;
}

/**
 * Reads the job in directory `dir`. `display` is how messages name the
 * directory (an archive's name when it was extracted from one).
 */
export async function readJobDir(
  dir: string,
  display: string,
  inputPattern: string,
  progress?: FileProgress,
): Promise<ReadJob> {
  const names: string[] = [];
  // Entries the listing says are regular files (not symlinks): opened
  // without a second check each (see openRegularFile).
  const regular = new Set<string>();
  try {
    // Deno's own listing: node's readdirSync also sorts (slow at 100k).
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) continue;
      names.push(e.name);
      if (e.isFile) regular.add(e.name);
    }
  } catch (e) {
    throw new UserError(`cannot read ${display}: ${(e as Error).message}`);
  }
  // Plain concatenation: path.join normalizes, costly for 100,000 files.
  const base = dir.endsWith("/") ? dir : dir + "/";
  const shownBase = display.endsWith("/") ? display : display + "/";
  const shown = (name: string) => shownBase + name;
  if (!names.includes("job_metadata")) {
    throw new UserError(
      names.includes("job_metadata.tmp")
        ? `${display} is a job that was started but not stopped (no job_metadata, only job_metadata.tmp): run epmt stop first`
        : `${shown("job_metadata")} is missing: not an epmt job directory?`,
    );
  }
  const info = readJobInfo(join(dir, "job_metadata"), shown("job_metadata"));
  const files = classifyFiles(names, inputPattern);
  const table = new ProcessTable(info.jobid);
  const writer = new RowWriter(table);
  const total = files.csv.length + files.tsv.length;
  let done = 0;
  const byBytes = progress && total <= 8
    ? (bytes: number, size: number) => progress(bytes, size, "bytes")
    : undefined;
  if (files.csv.length) {
    const csv = new PapiexCsvReader(writer);
    csv.progress = byBytes;
    const read = (name: string, whole?: Uint8Array) => {
      csv.readFile(base + name, shownBase + name, regular.has(name), whole);
      if (progress && (++done & 255) === 0) progress(done, total, "files");
    };
    if (files.csv.length >= PARALLEL_MIN_FILES) {
      // Per-process files: workers open and read them while this parses.
      await forEachFileParallel(
        base,
        files.csv,
        (i) => regular.has(files.csv[i]),
        (i, bytes) => read(files.csv[i], bytes ?? undefined),
      );
    } else {
      for (const name of files.csv) read(name);
    }
  }
  if (files.tsv.length) {
    const tsv = new PapiexTsvReader(writer);
    tsv.progress = byBytes;
    for (const name of files.tsv) {
      const header = tsvHeaderPath(name);
      if (!names.includes(header)) {
        throw new UserError(
          `${shown(name)} has no header file ${shown(header)} beside it`,
        );
      }
      tsv.readFile(
        join(dir, name),
        shown(name),
        join(dir, header),
        shown(header),
      );
      done++;
    }
  }
  progress?.(total, total, "files");
  table.finish();
  return { info, table, files };
}

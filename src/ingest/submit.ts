/**
 * `epmt submit`: read each job (directory or archive), check it, and store
 * it in one transaction. One job's failure does not stop the others; each
 * result says what happened.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { isFile, print, printError } from "../io.ts";
import * as log from "../log.ts";
import type { Settings } from "../settings/mod.ts";
import type { Store } from "../db/mod.ts";
import { DuplicateJobError } from "../db/mod.ts";
import { readJobInfo } from "./job_info.ts";
import { readJobDir } from "./job_dir.ts";
import { summarize } from "./job_row.ts";
import { Progress } from "./progress.ts";
import { extractArchive, isArchivePath } from "../archive/mod.ts";
import { makeScratch, removeStaleScratch } from "./scratch.ts";

/** What happened to one input. */
export interface SubmitResult {
  input: string;
  jobid?: string;
  numProcs: number;
  numThreads: number;
  /** Why it failed; undefined when it was loaded (or would be, with -n). */
  error?: string;
}

/** How to submit. */
export interface SubmitOptions {
  /** Read and check only; never open the database. */
  dryRun: boolean;
  /** Drop and recreate the schema first. */
  drop: boolean;
  /**
   * Asked before dropping, with what would be lost (e.g. "12 jobs (340
   * processes) in SQLite /x/epmt.db"); nothing is dropped unless it
   * resolves true. Without it, drop goes ahead.
   */
  confirmDrop?: (what: string) => Promise<boolean>;
}

/** "N jobs (M processes)", or "all stored jobs" when they cannot be counted. */
async function storedCounts(store: Store): Promise<string> {
  try {
    const [{ jobs }] = await store.query<{ jobs: number }>(
      "SELECT count(*) AS jobs FROM jobs",
    );
    const [{ procs }] = await store.query<{ procs: number }>(
      "SELECT count(*) AS procs FROM processes",
    );
    return `${jobs} job${jobs === 1 ? "" : "s"} (${procs} process${
      procs === 1 ? "" : "es"
    })`;
  } catch {
    return "all stored jobs (the tables cannot be counted)";
  }
}

/**
 * Submits every input in turn. Throws UserError only when the database
 * cannot be opened; problems with one job are reported in its result (and
 * logged as they happen).
 */
export async function submitJobs(
  settings: Settings,
  inputs: string[],
  opts: SubmitOptions,
): Promise<SubmitResult[]> {
  const progress = new Progress();
  let store: Store | undefined;
  const results: SubmitResult[] = [];
  try {
    if (!opts.dryRun) {
      const { openStore } = await import("../db/mod.ts");
      store = await openStore(settings);
      const db = settings.db_params;
      if (db.provider === "sqlite" && db.filename === ":memory:") {
        log.warning(
          "the database is SQLite in memory (db_params.filename :memory:): what submit loads is gone when it ends",
        );
      }
      if (opts.drop) {
        const what = `${await storedCounts(store)} in ${store.description}`;
        if (opts.confirmDrop && !(await opts.confirmDrop(what))) {
          throw new UserError(`--drop not confirmed: nothing dropped`);
        }
        await store.resetSchema();
        print(`dropped ${what}; recreated its schema`);
      }
    } else if (opts.drop) {
      log.info("dry run: the database schema would be dropped and recreated");
    }
    const jobs = inputs.flatMap(jobsIn);
    if (jobs.some(isArchivePath)) await removeStaleScratch();
    for (const input of jobs) {
      try {
        results.push(await submitOne(input, settings, store, progress));
      } catch (e) {
        progress.clear();
        results.push({ input, numProcs: 0, numThreads: 0, error: explain(e) });
      }
    }
  } finally {
    progress.clear();
    await store?.close();
  }
  return results;
}

/**
 * The jobs `input` names: itself, or, for a folder that is no job but holds
 * jobs (a site's incoming folder of staged archives), each archive and job
 * directory in it, in name order. So `epmt submit /shared/incoming` works
 * where a shell glob would overflow the command line.
 */
function jobsIn(input: string): string[] {
  // A job directory is known by its metadata, without listing its (maybe
  // 100,000) files.
  if (isJobDir(input)) return [input];
  let names: string[];
  try {
    if (!statSync(input).isDirectory()) return [input];
    names = readdirSync(input);
  } catch {
    return [input]; // submitOne says what is wrong with it
  }
  const jobs = names.sort().map((n) => join(input, n)).filter((path) => {
    try {
      const info = statSync(path);
      if (info.isFile()) return isArchivePath(path);
      return info.isDirectory() && isJobDir(path);
    } catch {
      return false;
    }
  });
  if (jobs.length === 0) return [input];
  log.info(`${input}: ${jobs.length} jobs in it`);
  return jobs;
}

/** Whether `dir` holds a job's metadata (stopped, or only started). */
function isJobDir(dir: string): boolean {
  return isFile(join(dir, "job_metadata")) ||
    isFile(join(dir, "job_metadata.tmp"));
}

function explain(e: unknown): string {
  if (e instanceof UserError) {
    log.error(e.message);
    return e.message;
  }
  const message = `internal error: ${e instanceof Error ? e.message : e}`;
  log.error(message);
  if (e instanceof Error && log.enabled(log.Level.DEBUG)) {
    printError(e.stack ?? "");
  }
  return message;
}

/**
 * Submits one job directory or archive into an open store (the ingest
 * daemon's way in). Throws UserError (DuplicateJobError for a stored job,
 * DatabaseUnavailableError when the database went away) on failure.
 */
export async function submitInput(
  input: string,
  settings: Settings,
  store: Store,
): Promise<SubmitResult> {
  const progress = new Progress({ enabled: false });
  return await submitOne(input, settings, store, progress);
}

async function submitOne(
  input: string,
  settings: Settings,
  store: Store | undefined,
  progress: Progress,
): Promise<SubmitResult> {
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch (e) {
    const missing = (e as { code?: string }).code === "ENOENT";
    throw new UserError(
      missing ? `${input} does not exist` : `cannot read ${input}: ${e}`,
    );
  }
  if (isDir) return await submitDir(input, input, settings, store, progress);
  if (!isArchivePath(input)) {
    throw new UserError(
      `${input} is neither a job directory nor an archive (.tgz, .tar.gz, .tar)`,
    );
  }
  // Extracted into a private temporary directory, always removed (by the
  // next run, if this one is killed); the archive itself is only read.
  const scratch = await makeScratch();
  try {
    await extractArchive(input, scratch.dir);
    return await submitDir(
      jobRoot(scratch.dir),
      input,
      settings,
      store,
      progress,
    );
  } finally {
    await scratch.remove();
  }
}

/** The job directory inside an extracted archive: its top, or its one folder. */
function jobRoot(dir: string): string {
  const names = readdirSync(dir);
  if (names.includes("job_metadata") || names.length !== 1) return dir;
  const only = join(dir, names[0]);
  return statSync(only).isDirectory() ? only : dir;
}

async function submitDir(
  dir: string,
  display: string,
  settings: Settings,
  store: Store | undefined,
  progress: Progress,
): Promise<SubmitResult> {
  const t0 = performance.now();
  // Refuse a stored job before reading its (possibly many) files.
  let jobid: string | undefined;
  try {
    jobid =
      readJobInfo(join(dir, "job_metadata"), join(display, "job_metadata"))
        .jobid;
  } catch {
    // readJobDir below reports it, with the directory's context.
  }
  if (store && jobid !== undefined && await store.hasJob(jobid)) {
    throw new DuplicateJobError(jobid, store.description);
  }
  const job = await readJobDir(
    dir,
    display,
    settings.input_pattern,
    (done, total, unit) =>
      progress.update(`reading ${display}`, done, total, unit),
  );
  const summary = summarize(job, resolve(display), Date.now() * 1000);
  for (const w of summary.warnings) log.warning(w);
  const t1 = performance.now();
  const result: SubmitResult = {
    input: display,
    jobid: job.info.jobid,
    numProcs: summary.numProcs,
    numThreads: summary.numThreads,
  };
  const files = job.files.csv.length + job.files.tsv.length;
  log.info(
    `job ${job.info.jobid}: read ${files} files, ${summary.numProcs} processes, ${summary.numThreads} threads in ${
      seconds(t1 - t0)
    }`,
  );
  if (job.files.other.length) {
    log.debug(`${display}: ignored ${job.files.other.join(", ")}`);
  }
  if (!store) return result;
  // The analysis takes its processes from the store's own pass over the
  // rows (each row is decoded once, not twice).
  const analysis = settings.analyze_on_submit
    ? await import("../analysis/mod.ts")
    : undefined;
  const collector = analysis &&
    new analysis.ProcsCollector(job.table.length, { tree: false });
  await store.insertJob(
    summary.row,
    collector ? analysis.collectingRows(job.table, collector) : job.table,
    (done, total) =>
      progress.update(`storing ${display}`, done, total, "processes"),
  );
  progress.clear();
  log.info(
    `job ${job.info.jobid}: stored in ${store.description} in ${
      seconds(performance.now() - t1)
    }`,
  );
  if (analysis) {
    const t2 = performance.now();
    const a = await analysis.analyzeAtSubmit(
      store,
      summary.row,
      job.table,
      collector?.result(),
    );
    log.info(
      `job ${job.info.jobid}: ${
        a.error
          ? "analysis failed"
          : `analysed (${a.verdict}, ${a.flags} flags)`
      } in ${seconds(performance.now() - t2)}`,
    );
  }
  return result;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * `epmt daemon --ingest DIR`: loads every job dropped into DIR (archives
 * from `epmt stage`, or job directories) exactly once. A job is taken when
 * it looked the same twice in a row (a copy in progress waits), stored in
 * one transaction, then moved to DIR/done/; one that cannot be loaded goes
 * to DIR/failed/ with `<name>.err` saying why. When the database is away
 * the job stays where it is and the daemon retries with backoff; a job
 * whose store succeeded but whose move did not (a crash in between) is
 * found already stored from this very path next time and moved to done/.
 * Two daemons never load a job twice: one holds the folder's lock file,
 * and the database refuses a job it has (its primary key).
 */
import { resolve } from "node:path";
import type { Settings } from "../settings/mod.ts";
import { maskHost } from "../secrets.ts";
import {
  DatabaseUnavailableError,
  DuplicateJobError,
  openStore,
  type Store,
} from "../db/mod.ts";
import { submitInput } from "../ingest/mod.ts";
import {
  DONE,
  type Entry,
  FAILED,
  look,
  moveTo,
  openDropFolder,
} from "./drop_folder.ts";
import { retireIfDue } from "./daemon_retire.ts";

/** What the daemon is told. */
export interface DaemonOptions {
  dir: string;
  settings: Settings;
  /** Seconds between looks at the folder. */
  intervalS: number;
  /** One pass (two looks, to see what is complete), then stop. */
  once: boolean;
  /** Apply the retention settings once a day. */
  retire: boolean;
  /** After each load, run this on the stored job (epmt analyze). */
  analyze?: (store: Store, jobid: string) => Promise<string>;
  /** Where the one line per event goes. */
  log: (line: string) => void;
  /**
   * Longest wait between tries while the database is away, seconds.
   * @default 60
   */
  maxBackoffS?: number;
}

/** What a run did. */
export interface DaemonSummary {
  loaded: number;
  failed: number;
}

/** Errors that mean "the database is away", not "this job is bad". */
const GONE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

function unavailable(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  const code = (e as { code?: string })?.code;
  return typeof code === "string" &&
    (GONE_CODES.has(code) || /^(08|57P0)/.test(code));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs the daemon until a signal (or, with `once`, one pass). */
export async function runDaemon(opts: DaemonOptions): Promise<DaemonSummary> {
  const dir = resolve(opts.dir);
  const lock = await openDropFolder(dir);
  const d = new Daemon(dir, opts);
  const stop = (signal: string) => () => d.stop(signal);
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", stop("SIGTERM")],
    ["SIGINT", stop("SIGINT")],
  ];
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    return await d.run();
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    await d.close();
    lock.close(); // releases the lock
  }
}

class Daemon {
  #dir: string;
  #opts: DaemonOptions;
  #store?: Store;
  #stopping?: string;
  #wake?: () => void;
  #seen = new Map<string, string>();
  #backoffS = 0;
  #summary: DaemonSummary = { loaded: 0, failed: 0 };

  constructor(dir: string, opts: DaemonOptions) {
    this.#dir = dir;
    this.#opts = opts;
  }

  stop(signal: string): void {
    if (!this.#stopping) {
      this.#opts.log(`${signal}: stopping after the current job`);
    }
    this.#stopping = signal;
    this.#wake?.();
  }

  async close(): Promise<void> {
    await this.#store?.close().catch(() => {});
    this.#store = undefined;
  }

  async run(): Promise<DaemonSummary> {
    const o = this.#opts;
    o.log(
      `watching ${this.#dir} every ${o.intervalS} s, loading into ${
        describe(o.settings)
      }${o.once ? " (one pass)" : ""}`,
    );
    await this.#look(); // the first look only notes sizes
    let passes = 0;
    while (!this.#stopping) {
      await this.#sleep(
        this.#backoffS ||
          (o.once && passes === 0 ? Math.min(o.intervalS, 2) : o.intervalS),
      );
      if (this.#stopping) break;
      const ready = await this.#look();
      await this.#loadAll(ready);
      if (o.retire && !this.#stopping && this.#backoffS === 0) {
        await this.#withStore((store) =>
          retireIfDue(store, this.#dir, o.settings, o.log)
        );
      }
      passes++;
      if (o.once && this.#backoffS === 0) break;
      if (o.once && passes > 8) {
        o.log("the database stayed away: giving up this pass");
        break;
      }
    }
    const s = this.#summary;
    o.log(
      `stopped${
        this.#stopping ? ` (${this.#stopping})` : ""
      }: ${s.loaded} loaded, ${s.failed} failed`,
    );
    return s;
  }

  /** Entries that look the same as last time; notes the others. */
  async #look(): Promise<Entry[]> {
    const now = await look(this.#dir);
    const ready = now.filter((e) => this.#seen.get(e.path) === e.signature);
    this.#seen = new Map(now.map((e) => [e.path, e.signature]));
    return ready;
  }

  #sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, seconds * 1000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #withStore<T>(
    fn: (store: Store) => Promise<T>,
  ): Promise<T | undefined> {
    try {
      this.#store ??= await openStore(this.#opts.settings);
      const r = await fn(this.#store);
      this.#backoffS = 0;
      return r;
    } catch (e) {
      if (!(await this.#databaseAway(e))) throw e;
      return undefined;
    }
  }

  /**
   * True (after noting the backoff) when `e` or a probe says the database
   * is away: then nothing is the job's fault and it stays for a retry.
   */
  async #databaseAway(e: unknown): Promise<boolean> {
    let away = unavailable(e) || this.#store === undefined;
    if (!away) {
      try {
        await this.#store!.query("SELECT 1");
      } catch {
        away = true;
      }
    }
    if (!away) return false;
    await this.close();
    const max = this.#opts.maxBackoffS ?? 60;
    this.#backoffS = Math.min(max, this.#backoffS ? this.#backoffS * 2 : 1);
    this.#opts.log(
      `database unavailable: ${message(e)}; retrying in ${this.#backoffS} s`,
    );
    return true;
  }

  async #loadAll(ready: Entry[]): Promise<void> {
    for (const entry of ready) {
      if (this.#stopping) return;
      const outcome = await this.#loadOne(entry);
      if (outcome === undefined) return; // the database is away
      this.#opts.log(outcome);
    }
  }

  /**
   * Loads one entry and moves it; the log line, or undefined when the
   * database is away (the entry stays for the next pass). A move that
   * fails is a UserError that stops the daemon: the job is safe (stored,
   * and found so next time, or still in place).
   */
  async #loadOne(entry: Entry): Promise<string | undefined> {
    const t0 = performance.now();
    let r;
    try {
      this.#store ??= await openStore(this.#opts.settings);
      r = await submitInput(entry.path, this.#opts.settings, this.#store);
      this.#backoffS = 0;
    } catch (e) {
      if (e instanceof DuplicateJobError) {
        try {
          return await this.#duplicate(entry, e);
        } catch (e2) {
          if (await this.#databaseAway(e2)) return undefined;
          throw e2;
        }
      }
      if (await this.#databaseAway(e)) return undefined;
      if (await this.#stillChanging(entry)) {
        return `waiting for ${entry.name}: it changed while loading`;
      }
      await moveTo(this.#dir, entry, FAILED, message(e));
      this.#summary.failed++;
      return `failed ${entry.name}: ${message(e)} (moved to ${FAILED}/)`;
    }
    await moveTo(this.#dir, entry, DONE);
    this.#summary.loaded++;
    let outcome =
      `loaded ${entry.name}: job ${r.jobid}, ${r.numProcs} processes in ${
        secs(t0)
      }`;
    if (this.#opts.analyze) {
      outcome += `; ${await this.#analyze(r.jobid!)}`;
    }
    return outcome;
  }

  async #analyze(jobid: string): Promise<string> {
    try {
      return await this.#opts.analyze!(this.#store!, jobid);
    } catch (e) {
      return `analyze failed: ${message(e)}`;
    }
  }

  /**
   * A stored job: loaded from this very path by an earlier run that did
   * not get to move it (done/), or another job with the same id (failed/).
   */
  async #duplicate(
    entry: Entry,
    e: DuplicateJobError,
  ): Promise<string> {
    const [row] = await this.#store!.query<{ source: string }>(
      "SELECT source FROM jobs WHERE jobid = ?",
      [e.jobid],
    );
    if (row?.source === entry.path) {
      await moveTo(this.#dir, entry, DONE);
      return `already loaded ${entry.name}: job ${e.jobid} (an earlier run stored it; moved to ${DONE}/)`;
    }
    await moveTo(this.#dir, entry, FAILED, e.message);
    this.#summary.failed++;
    return `failed ${entry.name}: ${e.message} (moved to ${FAILED}/)`;
  }

  /** True when the entry changed since it was taken (still being written). */
  async #stillChanging(entry: Entry): Promise<boolean> {
    const now = (await look(this.#dir)).find((x) => x.path === entry.path);
    if (now && now.signature !== entry.signature) {
      this.#seen.set(entry.path, now.signature);
      return true;
    }
    return false;
  }
}

function secs(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(2)} s`;
}

/** The database in words, never with the password. */
function describe(settings: Settings): string {
  const p = settings.db_params;
  return p.provider === "postgres"
    ? `PostgreSQL ${p.dbname} at ${maskHost(p.host)}:${p.port}`
    : `SQLite ${p.filename}`;
}

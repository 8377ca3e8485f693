/**
 * The Store on SQLite (node:sqlite), the default: one file, no server.
 * Writers take the lock with BEGIN IMMEDIATE and wait for each other up to
 * the busy timeout; a rollback journal (not WAL) keeps it safe on network
 * filesystems, where home directories on HPC systems usually live.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import { JOB_COLUMNS, PROCESS_COLUMNS } from "./columns.ts";
import {
  createStatements,
  dropStatements,
  migrationStatements,
  SCHEMA_VERSION,
} from "./schema.ts";
import {
  DuplicateJobError,
  type JobRow,
  type ProcessRows,
  type Queryable,
  readOnlySchemaError,
  type Row,
  type SqlValue,
  type Store,
  type ValueRow,
} from "./store.ts";

/** How long a writer waits for another one's lock before giving up. */
const BUSY_TIMEOUT_MS = 10 * 60 * 1000;
/** Processes per INSERT statement (fewer calls into SQLite). */
const BATCH = 16;

/**
 * Opens the SQLite database in `filename`, creating it (and its folder)
 * if needed unless `create` is false: then a missing file is a UserError.
 * `readOnly` opens it so that nothing can be written (nor migrated).
 */
export function openSqlite(
  filename: string,
  create = true,
  readOnly = false,
): SqliteStore {
  const file = filename !== ":memory:" && !filename.startsWith("file:");
  if (!create && file && !existsSync(filename)) {
    throw new UserError(
      `no SQLite database at ${filename}: no job has been submitted to it (epmt submit creates it)`,
    );
  }
  let db: DatabaseSync;
  try {
    if (file && !readOnly) mkdirSync(dirname(filename), { recursive: true });
    db = new DatabaseSync(filename, { readOnly });
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA cache_size = -65536");
  } catch (e) {
    throw new UserError(
      `cannot open SQLite database ${filename}: ${reason(e)}`,
    );
  }
  const store = new SqliteStore(db, filename);
  store.ensureSchema(readOnly);
  return store;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The Store on one SQLite file (see openSqlite). */
export class SqliteStore implements Store {
  readonly provider = "sqlite" as const;
  readonly description: string;
  #db: DatabaseSync;
  #inTransaction = false;
  #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, filename: string) {
    this.#db = db;
    this.description = `SQLite ${filename}`;
  }

  #prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  query<T = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rows = this.#prepare(sql).all(...params);
    // Plain objects, as the PostgreSQL store returns (node:sqlite gives
    // objects without a prototype).
    for (let i = 0; i < rows.length; i++) rows[i] = { ...rows[i] };
    return Promise.resolve(rows as T[]);
  }

  queryValues(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<ValueRow[]> {
    // A statement of its own: setReturnArrays changes the statement. It is
    // in Deno's node:sqlite but not yet in its type declarations.
    const st = this.#db.prepare(sql) as StatementSync & {
      setReturnArrays?: (on: boolean) => void;
    };
    if (st.setReturnArrays) {
      st.setReturnArrays(true);
      return Promise.resolve(st.all(...params) as unknown as ValueRow[]);
    }
    return Promise.resolve(
      st.all(...params).map((r) => Object.values(r) as ValueRow),
    );
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Promise.resolve(Number(this.#prepare(sql).run(...params).changes));
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#inTransaction) throw new Error("nested transaction");
    this.#begin();
    try {
      const result = await fn(this);
      this.#db.exec("COMMIT");
      return result;
    } catch (e) {
      this.#rollback();
      throw e;
    } finally {
      this.#inTransaction = false;
    }
  }

  #begin(): void {
    this.#inTransaction = true;
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      this.#inTransaction = false;
      throw new UserError(`${this.description}: ${reason(e)}`);
    }
  }

  #rollback(): void {
    try {
      this.#db.exec("ROLLBACK");
    } catch {
      // Already rolled back by SQLite itself (e.g. after a full disk).
    }
  }

  hasJob(jobid: string): Promise<boolean> {
    return Promise.resolve(this.#hasJob(jobid));
  }

  #hasJob(jobid: string): boolean {
    return this.#prepare("SELECT 1 FROM jobs WHERE jobid = ?").get(jobid) !==
      undefined;
  }

  /** Creates the schema in an empty database, or checks its version. */
  ensureSchema(readOnly = false): void {
    // The common case, a current schema, without the write lock: readers
    // must not wait for a submit that holds it.
    let current: number | undefined;
    try {
      current = this.#version();
      if (current === SCHEMA_VERSION) return;
    } catch (e) {
      throw new UserError(`${this.description}: ${reason(e)}`);
    }
    if (readOnly) {
      throw readOnlySchemaError(this.description, current, SCHEMA_VERSION);
    }
    this.#begin();
    try {
      const version = this.#version();
      if (version === undefined) {
        for (const s of createStatements("sqlite")) this.#db.exec(s);
      } else if (version > SCHEMA_VERSION) {
        throw new UserError(
          `${this.description} has schema version ${version}, newer than ` +
            `this epmt understands (${SCHEMA_VERSION}): upgrade epmt`,
        );
      } else {
        for (const s of migrationStatements(version, "sqlite")) {
          this.#db.exec(s);
        }
        if (version < SCHEMA_VERSION) {
          this.#db.exec(
            `UPDATE schema_version SET version = ${SCHEMA_VERSION}`,
          );
        }
      }
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#rollback();
      if (e instanceof UserError) throw e;
      throw new UserError(`${this.description}: ${reason(e)}`);
    } finally {
      this.#inTransaction = false;
    }
  }

  #version(): number | undefined {
    const has = this.#db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
    ).get();
    if (!has) return undefined;
    const row = this.#db.prepare("SELECT version FROM schema_version").get() as
      | { version: number }
      | undefined;
    return row?.version ?? 0;
  }

  resetSchema(): Promise<void> {
    this.#statements.clear();
    this.#begin();
    try {
      for (const s of dropStatements()) this.#db.exec(s);
      for (const s of createStatements("sqlite")) this.#db.exec(s);
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#rollback();
      throw new UserError(`${this.description}: ${reason(e)}`);
    } finally {
      this.#inTransaction = false;
    }
    return Promise.resolve();
  }

  insertJob(
    job: JobRow,
    processes: ProcessRows,
    progress?: (done: number, total: number) => void,
  ): Promise<void> {
    const jobid = String(job.jobid);
    this.#begin();
    try {
      if (this.#hasJob(jobid)) {
        throw new DuplicateJobError(jobid, this.description);
      }
      this.#insertJobRow(job);
      this.#insertProcesses(processes, progress);
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#rollback();
      if (e instanceof UserError) throw e;
      throw new UserError(
        `${this.description}: storing job ${jobid} failed: ${reason(e)}`,
      );
    } finally {
      this.#inTransaction = false;
    }
    return Promise.resolve();
  }

  #insertJobRow(job: JobRow): void {
    const names = JOB_COLUMNS.map((c) => c.name);
    this.#prepare(
      `INSERT INTO jobs (${names.join(", ")}) VALUES (${
        names.map(() => "?").join(", ")
      })`,
    ).run(...names.map((n) => job[n] ?? null));
    const now = job.loaded_us ?? null;
    this.#prepare(
      "INSERT INTO users (name, first_seen_us) VALUES (?, ?) ON CONFLICT DO NOTHING",
    ).run(job.username ?? "", now);
    const hosts = JSON.parse(String(job.hosts ?? "[]")) as string[];
    const addHost = this.#prepare(
      "INSERT INTO hosts (name, first_seen_us) VALUES (?, ?) ON CONFLICT DO NOTHING",
    );
    for (const h of hosts) addHost.run(h, now);
  }

  #insertProcesses(
    rows: ProcessRows,
    progress?: (done: number, total: number) => void,
  ): void {
    const width = PROCESS_COLUMNS.length;
    const head = `INSERT INTO processes (${
      PROCESS_COLUMNS.map((c) => c.name).join(", ")
    }) VALUES `;
    const tuple = `(${PROCESS_COLUMNS.map(() => "?").join(",")})`;
    const many = this.#prepare(head + Array(BATCH).fill(tuple).join(","));
    const one = this.#prepare(head + tuple);
    const params: SqlValue[] = new Array(width * BATCH);
    const n = rows.length;
    let i = 0;
    for (; i + BATCH <= n; i += BATCH) {
      for (let k = 0; k < BATCH; k++) rows.fill(i + k, params, k * width);
      many.run(...params);
      if (progress && (i & 8191) === 0) progress(i, n);
    }
    params.length = width;
    for (; i < n; i++) {
      rows.fill(i, params, 0);
      one.run(...params);
    }
  }

  close(): Promise<void> {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }
}

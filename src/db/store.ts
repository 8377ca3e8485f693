/**
 * The one interface every command uses to reach the database, whichever
 * database it is. Implementations: sqlite.ts (node:sqlite) and postgres.ts
 * (npm postgres); `openStore` in mod.ts picks one from the settings.
 */
import type { Provider } from "../settings/mod.ts";
import { UserError } from "../errors.ts";

/** A value bound to a placeholder or read from a column. */
export type SqlValue = string | number | null;

/** One result row, by column name. */
export type Row = Record<string, SqlValue>;

/**
 * Runs SQL. Placeholders are `?` on both databases (the PostgreSQL store
 * numbers them). Integers come back as numbers (exact up to 2^53), JSON
 * columns as JSON text (JSON.parse them), NULL as null.
 */
export interface Queryable {
  /** The rows of a query. */
  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** Rows as arrays of values in column order (see Store.queryValues). */
export type ValueRow = SqlValue[];

/**
 * The rows of one job's processes, produced by the ingest side. Writers read
 * them one at a time so a job never has to exist as one big string or array.
 */
export interface ProcessRows {
  /** How many processes. */
  readonly length: number;
  /**
   * Writes process `i`'s values into `out` from `offset` on, one per column
   * of PROCESS_COLUMNS and in that order.
   */
  fill(i: number, out: SqlValue[], offset: number): void;
}

/** A job row: a value for each column of JOB_COLUMNS (JSON columns as text). */
export type JobRow = Record<string, SqlValue>;

/** A database holding jobs and their processes (schema in docs/schema.md). */
export interface Store extends Queryable {
  /** Which database this is, for the few statements that differ. */
  readonly provider: Provider;
  /** Where it is, for messages: a file, or user@host:port/dbname. */
  readonly description: string;
  /**
   * The rows of a query as arrays of values in select-list order, with the
   * same conversions as `query`. Several times faster than `query` for
   * hundreds of thousands of rows (no object per row): `epmt show --tree`
   * reads a 200,000-process job this way.
   */
  queryValues(sql: string, params?: readonly SqlValue[]): Promise<ValueRow[]>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. On SQLite the write lock is taken at the start.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** True when a job with this id is stored. */
  hasJob(jobid: string): Promise<boolean>;
  /**
   * Stores a job and all its processes in one transaction; nothing is
   * stored if anything fails. Throws DuplicateJobError if the job is there.
   * `progress` is called now and then with the processes written so far.
   */
  insertJob(
    job: JobRow,
    processes: ProcessRows,
    progress?: (done: number, total: number) => void,
  ): Promise<void>;
  /** Drops every epmt table and creates the schema afresh (all data lost). */
  resetSchema(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** A job that is already in the database; nothing was changed. */
export class DuplicateJobError extends UserError {
  readonly jobid: string;
  constructor(jobid: string, description: string) {
    super(`job ${jobid} is already in the database (${description})`);
    this.name = "DuplicateJobError";
    this.jobid = jobid;
  }
}

/**
 * A database opened read-only whose schema is missing or not `known`: it
 * cannot be created or migrated without writing.
 */
export function readOnlySchemaError(
  description: string,
  version: number | undefined,
  known: number,
): UserError {
  return new UserError(
    version === undefined
      ? `${description} holds no epmt schema (opened read-only)`
      : version > known
      ? `${description} has schema version ${version}, newer than this epmt understands (${known}): upgrade epmt`
      : `${description} has schema version ${version} and needs migrating to ${known}, which a read-only open cannot do: run 'epmt list' once first`,
  );
}

/**
 * The database could not be reached or went away (connection refused,
 * closed, timed out): nothing about the job is wrong, it may be tried again.
 */
export class DatabaseUnavailableError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUnavailableError";
  }
}

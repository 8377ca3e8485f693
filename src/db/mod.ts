/**
 * The database behind epmt: `openStore` picks SQLite or PostgreSQL from the
 * settings and loads only that driver. Import this module lazily (with
 * `await import`) so commands that need no database never load one.
 */
import type { Settings } from "../settings/mod.ts";
import type { Store } from "./store.ts";

export type {
  JobRow,
  ProcessRows,
  Queryable,
  Row,
  SqlValue,
  Store,
  ValueRow,
} from "./store.ts";
export * from "./columns.ts";
export * from "./net_permission.ts";
export * from "./threads.ts";
export { DatabaseUnavailableError, DuplicateJobError } from "./store.ts";
export { deleteJobRows } from "./job_rows.ts";
export {
  dropPartition,
  isPartitioned,
  listPartitions,
  monthOf,
  type Partition,
} from "./partitions.ts";

/** How to open the database. */
export interface OpenOptions {
  /**
   * Create a SQLite file that does not exist yet (submit); the commands
   * that read or change stored jobs say it is missing instead.
   * @default true
   */
  create?: boolean;
  /**
   * Never write: SQLite opens the file read-only, PostgreSQL sessions are
   * read-only, and a schema that is missing or needs migrating is an error
   * instead of being created or migrated (`epmt serve`).
   * @default false
   */
  readOnly?: boolean;
}

/**
 * Opens the database named by `settings.db_params`, creating the schema in
 * an empty one. Throws UserError (one line, never the password) when the
 * database cannot be reached, has a newer schema, or (with create false)
 * is a SQLite file that does not exist.
 *
 * @example
 * const store = await openStore(ctx.settings);
 * const jobs = await store.query("SELECT jobid FROM jobs");
 * await store.close();
 */
export async function openStore(
  settings: Settings,
  opts: OpenOptions = {},
): Promise<Store> {
  const params = settings.db_params;
  if (params.provider === "postgres") {
    const { openPostgres } = await import("./postgres.ts");
    return await openPostgres(params, opts.readOnly ?? false);
  }
  const { openSqlite } = await import("./sqlite.ts");
  return openSqlite(
    params.filename,
    (opts.create ?? true) && !opts.readOnly,
    opts.readOnly ?? false,
  );
}
export { SCHEMA_VERSION } from "./schema.ts";

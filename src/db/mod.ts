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
export { DuplicateJobError } from "./store.ts";

/**
 * Opens the database named by `settings.db_params`, creating the schema in
 * an empty one. Throws UserError (one line, never the password) when the
 * database cannot be reached or has a newer schema.
 *
 * @example
 * const store = await openStore(ctx.settings);
 * const jobs = await store.query("SELECT jobid FROM jobs");
 * await store.close();
 */
export async function openStore(settings: Settings): Promise<Store> {
  const params = settings.db_params;
  if (params.provider === "postgres") {
    const { openPostgres } = await import("./postgres.ts");
    return await openPostgres(params);
  }
  const { openSqlite } = await import("./sqlite.ts");
  return openSqlite(params.filename);
}

/**
 * Reaching the database from the query commands: open, run, close; and the
 * checks every command makes on the job ids it is given.
 */
import { UserError } from "../errors.ts";
import type { Row, Store } from "../db/mod.ts";
import type { Settings } from "../settings/mod.ts";

/**
 * Opens the database of `settings`, runs `fn`, and closes it whatever
 * happens. The driver is loaded only now, so `epmt list -h` stays fast. A
 * SQLite file that does not exist is an error, not created: these
 * commands only look at or change jobs that were submitted.
 */
export async function withStore<T>(
  settings: Settings,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const { openStore } = await import("../db/mod.ts");
  const store = await openStore(settings, { create: false });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * Parses a JSON column's text (null stays null), with every object's keys
 * in sorted order: PostgreSQL's jsonb keeps its own order (shorter keys
 * first), SQLite the order written, and output must not depend on which
 * database holds the job.
 */
export function json<T = unknown>(text: unknown): T | null {
  if (typeof text !== "string" || text === "") return null;
  return sortKeys(JSON.parse(text)) as T;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    out[k] = sortKeys((value as Record<string, unknown>)[k]);
  }
  return out;
}

/** A JSON object column as an object ({} when null). */
export function jsonObject(text: unknown): Record<string, unknown> {
  const v = json(text);
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : {};
}

/**
 * The `jobs` rows of `jobids` (with `columns`), in the order given; throws
 * one UserError naming every id that is not in the database.
 */
export async function requireJobs(
  store: Store,
  jobids: readonly string[],
  columns = "*",
): Promise<Row[]> {
  const unique = [...new Set(jobids)];
  const found = new Map<string, Row>();
  // In slices: some databases limit the number of parameters.
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const rows = await store.query(
      `SELECT ${
        columns === "*" ? "*" : `jobid, ${columns}`
      } FROM jobs WHERE jobid IN (${part.map(() => "?").join(", ")})`,
      part,
    );
    for (const r of rows) found.set(String(r.jobid), r);
  }
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new UserError(
      `${missing.length === 1 ? "job" : "jobs"} ${missing.join(", ")} ${
        missing.length === 1 ? "is" : "are"
      } not in the database (${store.description})`,
    );
  }
  return unique.map((id) => found.get(id)!);
}

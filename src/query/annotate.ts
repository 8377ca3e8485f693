/**
 * `epmt annotate`: key=value notes stored with a job (jobs.annotations),
 * shown by show and export. One statement per change, so concurrent
 * annotations of the same job never lose each other's keys.
 */
import { UsageError } from "../errors.ts";
import type { Store } from "../db/mod.ts";
import { jsonObject } from "./store.ts";

/**
 * Parses `key=value` arguments (the value may hold `=`; empty is allowed).
 *
 * @example
 * parseAnnotations(["note=rerun after fix", "ok=1"]); // {note: "rerun after fix", ok: "1"}
 */
export function parseAnnotations(
  args: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`annotate: ${JSON.stringify(a)} is not KEY=VALUE`);
    }
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/**
 * Merges `set` into the job's annotations and removes the keys in
 * `remove`; returns the annotations now stored.
 */
export async function annotate(
  store: Store,
  jobid: string,
  set: Record<string, string>,
  remove: readonly string[],
): Promise<Record<string, unknown>> {
  // A JSON merge patch: null removes a key (RFC 7396; json_patch in SQLite,
  // || with null stripping in PostgreSQL: annotation values are strings).
  const patch: Record<string, string | null> = { ...set };
  for (const k of remove) patch[k] = null;
  if (Object.keys(patch).length > 0) {
    await store.execute(
      store.provider === "postgres"
        ? `UPDATE jobs SET annotations =
             jsonb_strip_nulls(coalesce(annotations, '{}'::jsonb) || ?::jsonb)
           WHERE jobid = ?`
        : `UPDATE jobs SET annotations = json_patch(coalesce(annotations, '{}'), ?)
           WHERE jobid = ?`,
      [JSON.stringify(patch), jobid],
    );
  }
  return await readAnnotations(store, jobid);
}

/** The annotations stored with a job ({} when none). */
export async function readAnnotations(
  store: Store,
  jobid: string,
): Promise<Record<string, unknown>> {
  const [row] = await store.query(
    "SELECT annotations FROM jobs WHERE jobid = ?",
    [jobid],
  );
  return jsonObject(row?.annotations);
}

/** What annotate would store: `current` with `set` and `remove` applied. */
export function patched(
  current: Record<string, unknown>,
  set: Record<string, string>,
  remove: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current, ...set };
  for (const k of remove) delete out[k];
  return Object.fromEntries(
    Object.keys(out).sort().map((k) => [k, out[k]]),
  );
}

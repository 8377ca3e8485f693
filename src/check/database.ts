import { dirname } from "node:path";
import type { Settings } from "../settings/mod.ts";
import { UserError } from "../errors.ts";
import { netRefusal } from "../db/mod.ts";
import { maskHost } from "../secrets.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/**
 * The database in the settings is reachable and has a schema epmt knows.
 * Opening it is what every database command does, so an empty database gets
 * its tables (as on a first submit); a SQLite file that does not exist yet
 * is not created, only its folder checked.
 */
export async function checkDatabase(settings: Settings): Promise<CheckResult> {
  const name = "database";
  const p = settings.db_params;
  if (p.provider === "sqlite") {
    if (p.filename === ":memory:") {
      return pass(name, "SQLite in memory: nothing is kept between commands");
    }
    if (!exists(p.filename)) {
      const folder = nearestFolder(dirname(p.filename));
      if (!writable(folder)) {
        return fail(
          name,
          `SQLite ${p.filename} does not exist and ${folder} is not writable`,
          "set db_params.filename (EPMT_DB_FILENAME) to a writable place",
        );
      }
      return pass(
        name,
        `SQLite ${p.filename} not created yet (the first submit creates it)`,
      );
    }
  }
  const refused = p.provider === "postgres"
    ? netRefusal(p.host, p.port)
    : undefined;
  if (refused) {
    return fail(
      name,
      refused,
      `use the server it was built for, or rebuild with --db-host ${
        maskHost(p.host)
      }:${p.port}`,
    );
  }
  const { openStore } = await import("../db/mod.ts");
  let store;
  try {
    store = await openStore(settings);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return fail(
      name,
      e.message,
      p.provider === "postgres"
        ? "start the server or correct db_params (EPMT_DB_HOST, EPMT_DB_PORT, EPMT_DB_USER, EPMT_DB_PASSWORD, EPMT_DB_DBNAME)"
        : "correct db_params.filename (EPMT_DB_FILENAME) or the file's permissions",
    );
  }
  try {
    const [v] = await store.query<{ version: number }>(
      "SELECT version FROM schema_version",
    );
    const [n] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM jobs",
    );
    return pass(
      name,
      `${store.description}, schema version ${v?.version}, ${n?.n} job(s)`,
    );
  } catch (e) {
    return fail(
      name,
      `${store.description}: ${reason(e)}`,
      "run 'epmt --drop submit --yes' to recreate the schema (deletes all jobs)",
    );
  } finally {
    await store.close();
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The folder itself, or its closest existing ancestor (mkdir -p starts there). */
function nearestFolder(folder: string): string {
  let f = folder;
  while (!exists(f) && dirname(f) !== f) f = dirname(f);
  return f;
}

function writable(folder: string): boolean {
  const probe = `${folder}/.epmt-check-${Deno.pid}`;
  try {
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
    return true;
  } catch {
    return false;
  }
}

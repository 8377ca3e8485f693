/**
 * A database made by an older epmt is migrated to the same schema a new one
 * gets: every table, column and index alike, on SQLite and PostgreSQL.
 */
import { assertEquals } from "./assert.ts";
import { connectTestServer, createTestDb } from "./pg.ts";
import { openStore } from "../src/db/mod.ts";
import { baseStatements, SCHEMA_VERSION } from "../src/db/schema.ts";
import { loadSettings } from "../src/settings/mod.ts";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";

function sqliteShape(file: string): string[] {
  const db = new DatabaseSync(file);
  try {
    const rows = db.prepare(
      `SELECT m.type, m.name, p.name AS col, p.type AS ctype
         FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p
        WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2, 3`,
    ).all();
    return rows.map((r) =>
      `${r.type} ${r.name} ${r.col ?? ""} ${r.ctype ?? ""}`
    );
  } finally {
    db.close();
  }
}

async function pgShape(name: string): Promise<string[]> {
  const sql = connectTestServer(name);
  try {
    const cols = await sql<{ t: string }[]>`
      SELECT table_name || ' ' || column_name || ' ' || data_type AS t
        FROM information_schema.columns WHERE table_schema = 'public'
       ORDER BY 1`;
    const idx = await sql<{ t: string }[]>`
      SELECT tablename || ' ' || indexname AS t FROM pg_indexes
       WHERE schemaname = 'public' ORDER BY 1`;
    return [...cols.map((r) => r.t), ...idx.map((r) => r.t)];
  } finally {
    await sql.end();
  }
}

Deno.test("a version 1 database is migrated to the shape of a new one", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "epmt-migrate-" });
  try {
    await t.step("sqlite", async () => {
      const old = join(dir, "old.db");
      const fresh = join(dir, "new.db");
      const db = new DatabaseSync(old);
      for (const s of baseStatements("sqlite")) db.exec(s);
      db.close();
      for (const file of [old, fresh]) {
        const store = await openStore(
          loadSettings({ HOME: dir, EPMT_DB_FILENAME: file }).settings,
        );
        await store.query("SELECT count(*) FROM jobs");
        const [{ version }] = await store.query<{ version: number }>(
          "SELECT version FROM schema_version",
        );
        assertEquals(version, SCHEMA_VERSION);
        await store.close();
      }
      assertEquals(sqliteShape(old), sqliteShape(fresh));
    });
    await t.step("postgres", async () => {
      const old = await createTestDb();
      const fresh = await createTestDb();
      try {
        const sql = connectTestServer(old.name);
        for (const s of baseStatements("postgres")) await sql.unsafe(s);
        await sql.end();
        for (const db of [old, fresh]) {
          const store = await openStore(
            loadSettings({ HOME: dir, ...db.env }).settings,
          );
          await store.query("SELECT count(*) FROM jobs");
          await store.close();
        }
        assertEquals(await pgShape(old.name), await pgShape(fresh.name));
      } finally {
        await old.drop();
        await fresh.drop();
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

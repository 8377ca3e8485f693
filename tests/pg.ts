/**
 * A fresh PostgreSQL database per test on the real server (127.0.0.1:5432,
 * trust auth), uniquely named so parallel runs never collide, dropped after.
 */
import postgres from "postgres";

/** Where the test server is; EPMT_TEST_PG_* override for other machines. */
export const PG_HOST = Deno.env.get("EPMT_TEST_PG_HOST") ?? "127.0.0.1";
export const PG_PORT = Number(Deno.env.get("EPMT_TEST_PG_PORT") ?? 5432);
export const PG_USER = Deno.env.get("EPMT_TEST_PG_USER") ?? "postgres";

/** A scratch database: its name, the EPMT_DB_* env for it, and cleanup. */
export interface TestDb {
  name: string;
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A direct connection (one) to `database` on the test server, for what a
 * test checks or does behind epmt's back; `end()` it when done.
 */
export function connectTestServer(database = "postgres"): postgres.Sql {
  return postgres({
    host: PG_HOST,
    port: PG_PORT,
    username: PG_USER,
    database,
    max: 1,
    onnotice: () => {},
    fetch_types: false,
  });
}

/**
 * Creates `<prefix>_<pid>_<random>` (prefix `epmt_test`, or `epmt_bench`
 * for the benchmarks); call drop() when done.
 */
export async function createTestDb(prefix = "epmt_test"): Promise<TestDb> {
  const name = `${prefix}_${Deno.pid}_${
    crypto.randomUUID().replaceAll("-", "").slice(0, 12)
  }`;
  const sql = connectTestServer();
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  return {
    name,
    env: {
      EPMT_DB_PROVIDER: "postgres",
      EPMT_DB_HOST: PG_HOST,
      EPMT_DB_PORT: String(PG_PORT),
      EPMT_DB_USER: PG_USER,
      EPMT_DB_PASSWORD: "",
      EPMT_DB_DBNAME: name,
    },
    async drop() {
      const sql = connectTestServer();
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

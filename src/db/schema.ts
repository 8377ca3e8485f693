/**
 * The schema as SQL for each database, generated from columns.ts so the two
 * stay the same. docs/schema.md is the reader's description of it.
 */
import type { Provider } from "../settings/mod.ts";
import { type Column, JOB_COLUMNS, PROCESS_COLUMNS } from "./columns.ts";

import { MIGRATIONS } from "./migrations/mod.ts";

/**
 * Version 1 is the base schema below; each migration adds one. A store
 * refuses a database whose version is newer than this and migrates an
 * older one.
 */
export const SCHEMA_VERSION = 1 + MIGRATIONS.length;

/** Every table epmt owns, in an order that drops cleanly. */
export const TABLES = [
  "refmodels", // baselines helper
  "analyses",
  "processes",
  "jobs",
  "users",
  "hosts",
  "schema_version",
] as const;

function sqlType(provider: Provider, col: Column): string {
  switch (col.type) {
    case "text":
      return "TEXT";
    case "int":
      return "INTEGER";
    case "bigint":
      return provider === "sqlite" ? "INTEGER" : "BIGINT";
    case "json":
      return provider === "sqlite" ? "TEXT" : "JSONB";
  }
}

function columnsSql(provider: Provider, columns: readonly Column[]): string {
  return columns.map((col) => {
    const notNull = col.name === "jobid" || col.name === "idx"
      ? " NOT NULL"
      : "";
    const dflt = col.name === "annotations" ? " DEFAULT '{}'" : "";
    return `  ${col.name} ${sqlType(provider, col)}${notNull}${dflt}`;
  }).join(",\n");
}

/**
 * The statements creating the current schema in an empty database: the
 * base schema, then every migration, so a new database and a migrated one
 * are the same by construction.
 */
export function createStatements(provider: Provider): string[] {
  return [
    ...baseStatements(provider),
    ...migrationStatements(1, provider),
    `UPDATE schema_version SET version = ${SCHEMA_VERSION}`,
  ];
}

/** The statements of the migrations from `version` up to SCHEMA_VERSION. */
export function migrationStatements(
  version: number,
  provider: Provider,
): string[] {
  return MIGRATIONS.slice(Math.max(0, version - 1)).flatMap((m) =>
    m.statements(provider)
  );
}

/** Version 1 of the schema; never changed: later changes are migrations. */
export function baseStatements(provider: Provider): string[] {
  const big = provider === "sqlite" ? "INTEGER" : "BIGINT";
  return [
    `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
    `INSERT INTO schema_version (version) VALUES (1)`,
    `CREATE TABLE users (name TEXT PRIMARY KEY, first_seen_us ${big})`,
    `CREATE TABLE hosts (name TEXT PRIMARY KEY, first_seen_us ${big})`,
    `CREATE TABLE jobs (\n${
      columnsSql(provider, JOB_COLUMNS)
    },\n  PRIMARY KEY (jobid)\n)`,
    `CREATE INDEX jobs_start ON jobs (start_us)`,
    `CREATE INDEX jobs_user ON jobs (username, start_us)`,
    `CREATE INDEX jobs_exp ON jobs (exp_name, exp_component)`,
    `CREATE TABLE processes (\n${
      columnsSql(provider, PROCESS_COLUMNS)
    },\n  PRIMARY KEY (jobid, idx)\n)`,
  ];
}

/** The statements dropping every epmt table (data included). */
export function dropStatements(): string[] {
  return TABLES.map((t) => `DROP TABLE IF EXISTS ${t}`);
}

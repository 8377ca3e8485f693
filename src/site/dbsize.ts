/**
 * `epmt dbsize`: rows and bytes on disk per table (indexes included), and
 * the whole database. SQLite: the dbstat virtual table where the library
 * has it, else only the file's page counts. PostgreSQL:
 * pg_total_relation_size, summed over a partitioned table's partitions.
 */
import type { Store } from "../db/mod.ts";
import { humanBytes, humanCount } from "../query/mod.ts";
import { renderJson, renderTable } from "../query/mod.ts";

/** One table's share. */
export interface TableSize {
  table: string;
  rows: number;
  /** Rows from the planner's statistics, not counted (large PostgreSQL tables). */
  rowsEstimated: boolean;
  /** Bytes on disk with its indexes (and TOAST, partitions); null if unknown. */
  bytes: number | null;
  /** Partitions it has (PostgreSQL), 0 for a plain table. */
  partitions: number;
}

/** The size of a whole database. */
export interface DbSize {
  provider: string;
  database: string;
  /** How bytes were measured. */
  method: "dbstat" | "page counts" | "pg_total_relation_size";
  /** Largest first. */
  tables: TableSize[];
  /** The whole database on disk. */
  totalBytes: number;
  /** Of that, free pages waiting for reuse (SQLite), else null. */
  freeBytes: number | null;
}

/** Above this many rows (by the statistics) PostgreSQL rows are estimated. */
const COUNT_LIMIT = 1_000_000;

/**
 * Measures `store`'s tables and total.
 *
 * @example
 * const size = await dbSize(store);
 * console.log(size.totalBytes);
 */
export async function dbSize(store: Store): Promise<DbSize> {
  const size = store.provider === "postgres"
    ? await pgSize(store)
    : await sqliteSize(store);
  size.tables.sort((a, b) =>
    (b.bytes ?? 0) - (a.bytes ?? 0) || b.rows - a.rows ||
    (a.table < b.table ? -1 : 1)
  );
  return size;
}

async function sqliteSize(store: Store): Promise<DbSize> {
  const tables = (await store.query<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table'
        AND name NOT LIKE 'sqlite_%' ORDER BY name`,
  )).map((r) => r.name);
  const bytes = new Map<string, number>();
  let method: DbSize["method"] = "dbstat";
  try {
    // Every b-tree (tables, indexes) with the table it belongs to.
    const rows = await store.query<{ tbl: string; b: number }>(
      `SELECT m.tbl_name AS tbl, sum(s.pgsize) AS b
         FROM dbstat s JOIN sqlite_master m ON m.name = s.name
        GROUP BY m.tbl_name`,
    );
    for (const r of rows) bytes.set(r.tbl, Number(r.b));
  } catch {
    method = "page counts"; // a SQLite built without dbstat
  }
  const out: TableSize[] = [];
  for (const t of tables) {
    const [{ n }] = await store.query<{ n: number }>(
      `SELECT count(*) AS n FROM "${t.replaceAll('"', '""')}"`,
    );
    out.push({
      table: t,
      rows: Number(n),
      rowsEstimated: false,
      bytes: method === "dbstat" ? bytes.get(t) ?? 0 : null,
      partitions: 0,
    });
  }
  const [p] = await store.query<{ c: number; s: number; f: number }>(
    `SELECT (SELECT page_count FROM pragma_page_count()) AS c,
            (SELECT page_size FROM pragma_page_size()) AS s,
            (SELECT freelist_count FROM pragma_freelist_count()) AS f`,
  );
  return {
    provider: "sqlite",
    database: store.description,
    method,
    tables: out,
    totalBytes: Number(p.c) * Number(p.s),
    freeBytes: Number(p.f) * Number(p.s),
  };
}

async function pgSize(store: Store): Promise<DbSize> {
  // Top-level tables of this schema; a partitioned one gets its leaves'
  // sizes and row estimates summed (pg_partition_tree knows nothing of a
  // plain table).
  const rows = await store.query<{
    name: string;
    bytes: number;
    est: number | null;
    parts: number;
  }>(
    `SELECT c.relname AS name,
            CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)
                 FROM pg_partition_tree(c.oid) t)
            ELSE pg_total_relation_size(c.oid) END AS bytes,
            CASE WHEN c.relkind = 'p' THEN
              (SELECT sum(CASE WHEN l.reltuples < 0 THEN NULL ELSE l.reltuples END)
                 FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
                WHERE t.isleaf)
            WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples END AS est,
            (SELECT count(*) FROM pg_partition_tree(c.oid) t
              WHERE t.isleaf AND t.relid <> c.oid) AS parts
       FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace
        AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  );
  const out: TableSize[] = [];
  for (const r of rows) {
    const est = r.est === null ? null : Number(r.est);
    let rows = est ?? 0;
    let estimated = true;
    if (est === null || est < COUNT_LIMIT) {
      const [{ n }] = await store.query<{ n: number }>(
        `SELECT count(*) AS n FROM "${r.name.replaceAll('"', '""')}"`,
      );
      rows = Number(n);
      estimated = false;
    }
    out.push({
      table: r.name,
      rows: Math.round(rows),
      rowsEstimated: estimated,
      bytes: Number(r.bytes),
      partitions: Number(r.parts),
    });
  }
  const [{ total }] = await store.query<{ total: number }>(
    "SELECT pg_database_size(current_database()) AS total",
  );
  return {
    provider: "postgres",
    database: store.description,
    method: "pg_total_relation_size",
    tables: out,
    totalBytes: Number(total),
    freeBytes: null,
  };
}

/** The sizes as an aligned table, largest first, then the total. */
export function dbSizeText(s: DbSize): string {
  const rows = s.tables.map((t) => [
    t.table + (t.partitions ? ` (${t.partitions} partitions)` : ""),
    (t.rowsEstimated ? "~" : "") + humanCount(t.rows),
    humanBytes(t.bytes),
  ]);
  rows.push([
    "total",
    "",
    humanBytes(s.totalBytes) +
    (s.freeBytes ? ` (${humanBytes(s.freeBytes)} free for reuse)` : ""),
  ]);
  const note = s.method === "page counts"
    ? "\n(this SQLite has no dbstat table: per-table bytes unknown)"
    : s.tables.some((t) => t.rowsEstimated)
    ? "\n(~: estimated from the planner's statistics)"
    : "";
  return `${s.database}\n` + renderTable(
    [
      { title: "TABLE" },
      { title: "ROWS", align: "right" },
      { title: "ON DISK", align: "right" },
    ],
    rows,
  ) + note;
}

/** The sizes as JSON, raw values (bytes, counts). */
export function dbSizeJson(s: DbSize): string {
  return renderJson({
    provider: s.provider,
    database: s.database,
    method: s.method,
    tables: s.tables.map((t) => ({
      table: t.table,
      rows: t.rows,
      rows_estimated: t.rowsEstimated,
      bytes: t.bytes,
      partitions: t.partitions,
    })),
    total_bytes: s.totalBytes,
    free_bytes: s.freeBytes,
  });
}

/**
 * On PostgreSQL the processes table is partitioned by the month its job
 * started (column job_start_us, the job's start_us or 0 when it has none):
 * one partition per UTC month, `processes_yYYYYmMM`, created when the first
 * job of that month is submitted. Retire drops a month whole. SQLite keeps
 * one plain table; there every function here finds no partitions.
 */
import type { Queryable } from "./store.ts";

/** One month's partition of processes. */
export interface Partition {
  /** Table name, e.g. processes_y2026m11. */
  name: string;
  /** Its rows have fromUs <= job_start_us < toUs (µs since the epoch). */
  fromUs: number;
  toUs: number;
}

/**
 * The partition holding jobs that started at `startUs` (µs; null: the
 * epoch), with its name and bounds.
 *
 * @example
 * monthOf(Date.UTC(2026, 10, 25) * 1000).name; // "processes_y2026m11"
 */
export function monthOf(startUs: number | null): Partition {
  const d = new Date(Math.floor((startUs ?? 0) / 1000));
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    name: `processes_y${String(y).padStart(4, "0")}m${
      String(m + 1).padStart(2, "0")
    }`,
    fromUs: Date.UTC(y, m, 1) * 1000,
    toUs: Date.UTC(y, m + 1, 1) * 1000,
  };
}

/**
 * The statements making `p` a partition of processes: a table of its own,
 * then attached. Attaching locks processes only against schema changes
 * (SHARE UPDATE EXCLUSIVE), where CREATE TABLE ... PARTITION OF would stop
 * every concurrent submit and query until it commits. The table takes the
 * parent's CHECK constraints too: ATTACH refuses a table without them.
 */
export function createPartitionStatements(p: Partition): string[] {
  return [
    `CREATE TABLE ${p.name}
       (LIKE processes INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    `ALTER TABLE processes ATTACH PARTITION ${p.name}
       FOR VALUES FROM (${p.fromUs}) TO (${p.toUs})`,
  ];
}

/** True when processes is a partitioned table (PostgreSQL, migrated). */
export async function isPartitioned(q: Queryable): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid
      WHERE c.relname = 'processes' AND c.relnamespace = current_schema()::regnamespace`,
  );
  return rows.length > 0;
}

/**
 * The month partitions of processes, oldest first; none on SQLite or when
 * processes is not partitioned.
 */
export async function listPartitions(
  q: Queryable & { provider?: string },
): Promise<Partition[]> {
  if (q.provider !== "postgres") return [];
  const rows = await q.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = 'processes'
        AND p.relnamespace = current_schema()::regnamespace`,
  );
  const out: Partition[] = [];
  for (const r of rows) {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    if (m) out.push({ name: r.name, fromUs: Number(m[1]), toUs: Number(m[2]) });
  }
  return out.sort((a, b) => a.fromUs - b.fromUs);
}

/** Drops a month partition with its rows (one short lock on processes). */
export async function dropPartition(
  tx: Queryable,
  p: Partition,
): Promise<void> {
  if (!/^processes_y\d{4}m\d{2}$/.test(p.name)) {
    throw new Error(`not a processes partition: ${p.name}`);
  }
  await tx.execute(`DROP TABLE IF EXISTS ${p.name}`);
}

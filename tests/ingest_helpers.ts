/** Shared by the ingest tests: what a process table holds, by column name. */
import type { ProcessTable } from "../src/ingest/process_table.ts";
import { PROCESS_COLUMNS } from "../src/db/columns.ts";

/** Every row of a finished table as an object keyed by column name. */
export function tableRows(table: ProcessTable): Record<string, unknown>[] {
  const rows = [];
  for (let i = 0; i < table.length; i++) {
    const out: (string | number | null)[] = [];
    table.fill(i, out, 0);
    rows.push(
      Object.fromEntries(PROCESS_COLUMNS.map((c, k) => [c.name, out[k]])),
    );
  }
  return rows;
}

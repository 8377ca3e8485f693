/**
 * Schema migrations, in order: the database at version 1 + i gets
 * MIGRATIONS[i] to reach version 2 + i. Append new ones at the end (one file
 * each, `NNN_what.ts`) and never edit one that has shipped: databases in the
 * field have run it. Statements must work on both databases, or branch on
 * `provider`.
 */
import type { Provider } from "../../settings/mod.ts";
import { refmodels } from "./002_refmodels.ts";
import { procsRetired } from "./003_procs_retired.ts";
import { processesByMonth } from "./004_processes_by_month.ts";
import { analyses } from "./005_analyses.ts";

/** One step of the schema. */
export interface Migration {
  /** What it does, for messages. */
  readonly name: string;
  /** Its statements on this database. */
  statements(provider: Provider): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  refmodels,
  procsRetired,
  processesByMonth,
  // ---- helper timegoes: analysis at submit (issue 11) ----
  analyses,
  // ---- end timegoes ----
];

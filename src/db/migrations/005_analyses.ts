/**
 * `analyses`: what the analysis at submit (src/analysis) found for each
 * job: efficiency, verdict, ops, the flags against a reference model, or
 * the error that stopped it. One row per analysed job; no row: never
 * analysed.
 */
import type { Provider } from "../../settings/mod.ts";
import type { Migration } from "./mod.ts";

export const analyses: Migration = {
  name: "analyses table (analysis at submit)",
  statements(provider: Provider): string[] {
    const big = provider === "sqlite" ? "INTEGER" : "BIGINT";
    const json = provider === "sqlite" ? "TEXT" : "JSONB";
    return [
      `CREATE TABLE analyses (
  jobid TEXT NOT NULL,
  analyzed_us ${big},
  verdict TEXT,
  efficiency ${json},
  details ${json},
  flags ${json},
  num_flags INTEGER,
  model TEXT,
  error TEXT,
  PRIMARY KEY (jobid)
)`,
      `CREATE INDEX analyses_flagged ON analyses (num_flags)`,
    ];
  },
};

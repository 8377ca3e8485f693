/**
 * `refmodels`: reference models of known-good jobs (`epmt refmodel`). The
 * statistics are kept as JSON in the row, so a model outlives the retirement
 * of the jobs it was trained on.
 */
import type { Migration } from "./mod.ts";

export const refmodels: Migration = {
  name: "refmodels table (reference models)",
  statements(provider) {
    const json = provider === "sqlite" ? "TEXT" : "JSONB";
    const big = provider === "sqlite" ? "INTEGER" : "BIGINT";
    return [
      `CREATE TABLE refmodels (
  name TEXT NOT NULL,
  created_us ${big} NOT NULL,
  exp_name TEXT NOT NULL DEFAULT '',
  exp_component TEXT NOT NULL DEFAULT '',
  tags ${json} NOT NULL,
  jobids ${json} NOT NULL,
  op_key TEXT NOT NULL,
  stats ${json} NOT NULL,
  PRIMARY KEY (name)
)`,
      `CREATE INDEX refmodels_exp ON refmodels (exp_name, exp_component, created_us)`,
    ];
  },
};

/**
 * Reading stored jobs back: list, show (summary and process tree), export,
 * compare, outliers, annotate and delete, with the filters, formats and
 * tables they print. The public face of src/query/: other folders import
 * this module only (lazily, with `await import`, as the commands do).
 */
export * from "./annotate.ts";
export * from "./compare.ts";
export * from "./delete.ts";
export * from "./export.ts";
export * from "./filters.ts";
export * from "./format.ts";
export * from "./list.ts";
export * from "./metrics.ts";
export * from "./outliers.ts";
export * from "./output.ts";
export * from "./show.ts";
export * from "./stats.ts";
export * from "./status.ts";
export * from "./store.ts";
export * from "./table.ts";
export * from "./tree.ts";

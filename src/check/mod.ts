/**
 * `epmt check`'s checks of an installation: settings, collector, events,
 * perf_event_paranoid, papiex_output, database and a test job, each one
 * OK or FAIL with the fix. The public face of src/check/: other folders
 * import this module only.
 */
export * from "./collector.ts";
export * from "./database.ts";
export * from "./events.ts";
export * from "./output_dir.ts";
export * from "./perf.ts";
export * from "./result.ts";
export * from "./test_job.ts";

/**
 * Loading jobs into the database: reading a job directory or archive (the
 * collector's CSV/TSV files and job_metadata) and storing each job whole.
 * The public face of src/ingest/: other folders import this module only.
 */
export * from "./submit.ts";

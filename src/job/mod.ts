/**
 * A batch job's life on the compute node: which job this is (SLURM,
 * PBS/Torque, LSF or none), its directory under papiex_output, its start
 * and stop records (job_metadata, ours or the Python EPMT's pickle), the
 * collector library and the environment that preloads it. The public face
 * of src/job/: other folders import this module only.
 */
export * from "./collector.ts";
export * from "./collector_version.ts";
export * from "./env.ts";
export * from "./layout.ts";
export * from "./lifecycle.ts";
export * from "./metadata.ts";
export * from "./time.ts";

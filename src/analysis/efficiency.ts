/**
 * Allocation efficiency, in the spirit of SLURM's seff: what the job asked
 * for (allocation.ts) against what its processes used.
 */
import type { Row } from "../db/mod.ts";
import { type Allocation, allocationOf } from "./allocation.ts";
import type { Usage } from "./usage.ts";

/** Requested, used, and the fractions (null: not requested). */
export interface Efficiency {
  requested: Allocation;
  used: {
    wall_us: number | null;
    cpu_us: number;
    /** cpu / wall: cores busy on average. */
    busy_cores: number | null;
    /** Most memory held at once on one node (rssmax of processes alive together), KiB. */
    memory_peak_kib: number;
  };
  /** cpu / (cores × wall). */
  cpu: number | null;
  /** memory_peak / memory requested per node. */
  memory: number | null;
  /** wall / time limit. */
  time: number | null;
}

/**
 * The job's wall time: its recorded duration, else `fallbackUs` (its
 * processes' wall).
 */
export function jobWall(job: Row, fallbackUs: number): number {
  const d = job.duration_us;
  return typeof d === "number" && d > 0 ? d : fallbackUs;
}

/** The efficiency of `job` (a jobs row; env is JSON text) given its usage. */
export function efficiencyOf(job: Row, u: Usage): Efficiency {
  let env: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(String(job.env ?? "{}"));
    if (parsed && typeof parsed === "object") env = parsed;
  } catch {
    // An unreadable environment requested nothing we can tell.
  }
  const requested = allocationOf(env);
  const wall = jobWall(job, u.wall_us);
  return {
    requested,
    used: {
      wall_us: wall || null,
      cpu_us: u.cpu_us,
      busy_cores: wall > 0 ? u.cpu_us / wall : null,
      memory_peak_kib: u.memory_peak_kib,
    },
    cpu: requested.cores && wall > 0
      ? u.cpu_us / (requested.cores * wall)
      : null,
    memory: requested.memory_per_node_bytes
      ? u.memory_peak_kib * 1024 / requested.memory_per_node_bytes
      : null,
    time: requested.time_limit_us && wall > 0
      ? wall / requested.time_limit_us
      : null,
  };
}

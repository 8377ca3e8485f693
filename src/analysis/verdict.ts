/**
 * A verdict in plain words on where a job's (or one op's) time went, with
 * the numbers behind it. The rules, first match wins (the others that hold
 * are listed under `also`):
 *
 * - io-wait: working processes spent at least IO_WAIT of their lifetime
 *   waiting for disk I/O (delayacct_blkio_time), and more than on a CPU;
 * - idle (jobs only, with a known allocation: "the allocation sat idle"):
 *   processes were on a CPU less than IDLE of their lifetime and not in I/O;
 * - underused (jobs only): cpu time below UNDERUSED of cores × wall;
 * - cpu-bound: working processes on a CPU, or runnable and waiting for
 *   one (schedstat time_waiting), at least CPU_BOUND of their lifetime;
 * - waiting-on-children: the group's top processes had a child outside the
 *   group running at least CHILD_WAIT of their lifetime;
 * - idle: on a CPU less than IDLE of their lifetime, not in I/O;
 * - memory-heavy: memory held at once at least MEMORY_HEAVY of the request;
 * - mixed: none of these.
 *
 * docs/analysis.md ("Where the time went") explains each and what to do.
 */
import { humanBytes, humanDuration, humanRatio } from "../query/mod.ts";
import type { Usage } from "./usage.ts";

/** The verdicts, most telling first. */
export const VERDICTS = [
  "io-wait",
  "idle",
  "underused",
  "cpu-bound",
  "waiting-on-children",
  "memory-heavy",
  "mixed",
] as const;
export type VerdictKind = typeof VERDICTS[number];

/** Thresholds of the rules (fractions). */
export const IO_WAIT = 0.25;
export const CPU_BOUND = 0.75;
export const CHILD_WAIT = 0.5;
export const IDLE = 0.1;
export const UNDERUSED = 0.5;
export const MEMORY_HEAVY = 0.8;

/** A verdict and the numbers it rests on (fractions, µs, KiB). */
export interface Verdict {
  kind: VerdictKind;
  /** One sentence with the numbers. */
  reason: string;
  /** Other verdicts whose rule holds too. */
  also: VerdictKind[];
  numbers: {
    /** cpu / lifetime of the working processes. */
    on_cpu: number | null;
    /** blkio delay / lifetime of the working processes. */
    io_wait: number | null;
    /** run-queue wait / lifetime of the working processes. */
    run_queue: number | null;
    /** time with a child outside the group running / top processes' lifetime. */
    child_wait: number | null;
    /** cpu / (cores × wall), jobs with a known core count. */
    cpu_efficiency: number | null;
    /** memory held at once / memory requested per node. */
    memory_efficiency: number | null;
  };
}

/** What a verdict may use besides the usage: the job's request. */
export interface Request {
  cores: number | null;
  memory_per_node_bytes: number | null;
  /** True for a whole job (allocation verdicts apply), false for an op. */
  job: boolean;
}

const frac = (a: number, b: number) => b > 0 ? a / b : null;
const pct = (f: number | null) => f === null ? "-" : `${Math.round(f * 100)}%`;

/** The verdict on a group of processes. */
export function verdictOf(u: Usage, req: Request): Verdict {
  const numbers = {
    on_cpu: frac(u.cpu_us, u.work_us),
    io_wait: frac(u.blkio_us, u.work_us),
    run_queue: frac(u.time_waiting_us, u.work_us),
    child_wait: frac(u.child_wait_us, u.top_us),
    cpu_efficiency: req.job && req.cores
      ? frac(u.cpu_us, req.cores * u.wall_us)
      : null,
    memory_efficiency: req.memory_per_node_bytes
      ? frac(u.memory_peak_kib * 1024, req.memory_per_node_bytes)
      : null,
  };
  const { on_cpu, io_wait, child_wait, cpu_efficiency, memory_efficiency } =
    numbers;
  const lifetime = humanDuration(u.work_us);
  const holds: [VerdictKind, string][] = [];
  if (io_wait !== null && io_wait >= IO_WAIT && io_wait >= (on_cpu ?? 0)) {
    holds.push([
      "io-wait",
      `processes waited for disk I/O ${pct(io_wait)} of their lifetime (${
        humanDuration(u.blkio_us)
      } of ${lifetime}), on a CPU ${pct(on_cpu)}`,
    ]);
  }
  const idle = u.procs > 0 &&
    (on_cpu ?? 0) + (numbers.run_queue ?? 0) < IDLE &&
    (io_wait ?? 0) < IO_WAIT;
  const idleReason = `processes were on a CPU only ${pct(on_cpu)} of their ` +
    `lifetime (${humanDuration(u.cpu_us)} of ${lifetime}) and not in disk I/O`;
  if (idle && cpu_efficiency !== null) {
    holds.push([
      "idle",
      `the allocation sat idle: ${idleReason}; ${
        humanRatio(u.cpu_us / Math.max(1, u.wall_us))
      } of ${req.cores} cores busy`,
    ]);
  }
  if (cpu_efficiency !== null && cpu_efficiency < UNDERUSED) {
    holds.push([
      "underused",
      `used ${humanRatio(u.cpu_us / Math.max(1, u.wall_us))} of ${req.cores} ${
        req.cores === 1 ? "core" : "cores"
      } requested (cpu efficiency ${pct(cpu_efficiency)})`,
    ]);
  }
  // Runnable but waiting for a CPU counts: the process wanted one (on a
  // busy node its share of a CPU drops, its need does not).
  const runnable = on_cpu === null ? null : on_cpu + (numbers.run_queue ?? 0);
  if (runnable !== null && runnable >= CPU_BOUND) {
    const queued = numbers.run_queue ?? 0;
    holds.push([
      "cpu-bound",
      `processes were on a CPU ${pct(on_cpu)} of their lifetime (${
        humanDuration(u.cpu_us)
      } of ${lifetime})` +
      (queued >= 0.1
        ? ` and waited for one ${pct(queued)} (${
          humanDuration(u.time_waiting_us)
        }: more runnable processes than free cores)`
        : ""),
    ]);
  }
  if (child_wait !== null && child_wait >= CHILD_WAIT) {
    holds.push([
      "waiting-on-children",
      `its top processes waited on children ${pct(child_wait)} of their ` +
      `lifetime (${humanDuration(u.child_wait_us)} of ${
        humanDuration(u.top_us)
      })`,
    ]);
  }
  if (idle && cpu_efficiency === null) holds.push(["idle", idleReason]);
  if (memory_efficiency !== null && memory_efficiency >= MEMORY_HEAVY) {
    holds.push([
      "memory-heavy",
      `held ${humanBytes(u.memory_peak_kib * 1024)} at once, ${
        pct(memory_efficiency)
      } of the ${humanBytes(req.memory_per_node_bytes)} per node requested`,
    ]);
  }
  if (holds.length === 0) {
    holds.push([
      "mixed",
      `no single cause: on a CPU ${pct(on_cpu)} of the processes' ` +
      `lifetime, in disk I/O ${pct(io_wait)}`,
    ]);
  }
  const [[kind, reason], ...rest] = holds;
  return { kind, reason, also: rest.map(([k]) => k), numbers };
}

/**
 * What the stored metrics measure, so tables can print them as a person
 * reads them (docs/schema.md, "Units and conventions").
 */
import { humanBytes, humanCount, humanDuration } from "./format.ts";

/** The unit of a metric as stored. */
export type Unit = "us" | "ns" | "kib" | "bytes" | "count";

const UNITS: Record<string, Unit> = {
  duration: "us",
  duration_us: "us",
  cpu_time: "us",
  usertime: "us",
  systemtime: "us",
  cutime: "us",
  cstime: "us",
  delayacct_blkio_time: "us",
  guest_time: "us",
  inclusive_cpu_time: "us",
  time_oncpu: "ns",
  time_waiting: "ns",
  rssmax: "kib",
  rssmax_peak: "kib",
  rchar: "bytes",
  wchar: "bytes",
  read_bytes: "bytes",
  write_bytes: "bytes",
  cancelled_write_bytes: "bytes",
};

/** The unit of `metric` (counts for anything unknown). */
export function unitOf(metric: string): Unit {
  return UNITS[metric] ?? "count";
}

/**
 * `metric`'s name for --json and --csv, with its unit: `cpu_time_us`,
 * `rssmax_peak_kib`, `read_bytes` (already says it), `num_procs`.
 */
export function rawName(metric: string): string {
  const unit = unitOf(metric);
  if (unit === "count" || metric.endsWith(`_${unit}`)) return metric;
  if (unit === "bytes" && /bytes|char/.test(metric)) return metric;
  return `${metric}_${unit}`;
}

/**
 * A value of `metric` for a table.
 *
 * @example
 * humanMetric("rssmax_peak", 2048); // "2.00 MiB"
 */
export function humanMetric(
  metric: string,
  v: number | null | undefined,
): string {
  if (v === null || v === undefined) return "-";
  switch (unitOf(metric)) {
    case "us":
      return humanDuration(v);
    case "ns":
      return humanDuration(v / 1000);
    case "kib":
      return humanBytes(v * 1024);
    case "bytes":
      return humanBytes(v);
    default:
      return humanCount(Number.isInteger(v) ? v : Number(v.toPrecision(4)));
  }
}

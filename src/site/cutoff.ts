/**
 * Turning `--days N`, `--before DATE` and the retire_*_ndays settings into
 * cutoffs in µs since the epoch.
 */
import { UsageError } from "../errors.ts";
import type { Settings } from "../settings/mod.ts";
import type { RetirePolicy } from "./retire.ts";

const DAY_US = 86_400_000_000;

/** The time `days` × 24 h before `nowUs` (both µs since the epoch). */
export function cutoffFromDays(days: number, nowUs: number): number {
  return nowUs - days * DAY_US;
}

/**
 * A date for --before: `YYYY-MM-DD` (midnight UTC) or a full ISO 8601 time
 * with a zone; µs since the epoch. UsageError naming the option otherwise.
 *
 * @example
 * parseDate("2026-01-01", "retire --before"); // 1767225600000000
 */
export function parseDate(text: string, where: string): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const full =
    /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/
      .test(text);
  const ms = day
    ? Date.parse(`${text}T00:00:00Z`)
    : full
    ? Date.parse(text)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `${where}: expected a date YYYY-MM-DD (UTC) or an ISO time with a zone (2026-01-01T00:00:00Z), not ${
        JSON.stringify(text)
      }`,
    );
  }
  return ms * 1000;
}

/** The policy of the settings retire_jobs_ndays / retire_procs_ndays (0: keep). */
export function policyFromSettings(
  settings: Settings,
  nowUs: number,
): RetirePolicy {
  return {
    jobsBeforeUs: settings.retire_jobs_ndays > 0
      ? cutoffFromDays(settings.retire_jobs_ndays, nowUs)
      : undefined,
    procsBeforeUs: settings.retire_procs_ndays > 0
      ? cutoffFromDays(settings.retire_procs_ndays, nowUs)
      : undefined,
  };
}

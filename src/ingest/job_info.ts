/**
 * What submit needs from a job's job_metadata (our JSON or the Python
 * EPMT's pickle, decoded by src/job/metadata.ts), with times in µs.
 */
import { UserError } from "../errors.ts";
import { readRegularFile } from "../io.ts";
import { limits } from "../limits.ts";
import {
  decodeJobMetadata,
  type JobMetadata,
  maskSecrets,
} from "../job/mod.ts";

/** A job's identity, times and environment, from its job_metadata. */
export interface JobInfo {
  jobid: string;
  jobname: string;
  username: string;
  /** Where `epmt start` ran. */
  hostname: string;
  /** Job start and stop, µs since the epoch (null when not recorded). */
  startUs: number | null;
  endUs: number | null;
  /** When the batch system accepted the job, µs since the epoch. */
  submitUs: number | null;
  exitcode: number | null;
  expName: string;
  expComponent: string;
  expOname: string;
  tags: Record<string, unknown>;
  env: Record<string, unknown>;
  envChanges: Record<string, unknown>;
  /** The whole metadata, as plain JSON data. */
  metadata: Record<string, unknown>;
}

/** Reads and normalizes the job_metadata file at `path` (`name` in messages). */
export function readJobInfo(path: string, name: string): JobInfo {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(
      path,
      name,
      limits().metadataBytes,
      "max_metadata_bytes",
    );
  } catch (e) {
    if (e instanceof UserError) throw e;
    const missing = (e as { code?: string }).code === "ENOENT";
    throw new UserError(
      missing
        ? `${name} is missing: not a stopped epmt job?`
        : `cannot read ${name}: ${(e as Error).message}`,
    );
  }
  return jobInfoFrom(decodeJobMetadata(bytes, name), name);
}

/**
 * Normalizes decoded metadata into a JobInfo; secrets left in the recorded
 * environment (by an older writer) are masked.
 */
export function jobInfoFrom(meta: JobMetadata, name: string): JobInfo {
  const m = maskSecrets(meta) as Record<string, unknown>;
  const id = m.job_pl_id;
  if ((typeof id !== "string" && typeof id !== "number") || String(id) === "") {
    throw new UserError(`${name} has no job id (job_pl_id)`);
  }
  const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  const obj = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? v as Record<string, unknown>
      : {};
  const time = (key: string) => {
    const v = m[key];
    if (v === undefined || v === null || v === "") return null;
    const us = isoToMicros(String(v));
    if (us === null) {
      throw new UserError(`${name}: ${key} is not a date and time: ${v}`);
    }
    return us;
  };
  const status = m.job_el_status;
  return {
    jobid: String(id),
    jobname: str(m.job_pl_jobname),
    username: str(m.job_pl_username),
    hostname: str(m.job_pl_hostname),
    startUs: time("job_pl_start"),
    endUs: time("job_el_stop"),
    submitUs: time("job_pl_submit"),
    exitcode: typeof status === "number"
      ? status
      : status === undefined || status === null || status === ""
      ? null
      : Number.isFinite(Number(status))
      ? Number(status)
      : null,
    expName: str(m.exp_name),
    expComponent: str(m.exp_component),
    expOname: str(m.exp_oname),
    tags: obj(m.job_tags),
    env: obj(m.job_pl_env),
    envChanges: obj(m.job_el_env_changes),
    metadata: m,
  };
}

const ISO =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/**
 * An ISO 8601 date and time as µs since the epoch, keeping the fraction to
 * the µs (Date.parse stops at ms). Without an offset it is local time.
 * Returns null when `s` is not one.
 *
 * @example
 * isoToMicros("2026-11-25T21:20:16.880929-05:00"); // 1795659616880929
 */
export function isoToMicros(s: string): number | null {
  const m = ISO.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const fields = [+y, +mo - 1, +d, +h, +mi, +sec] as const;
  let ms: number;
  if (zone === undefined) {
    ms = new Date(...fields).getTime();
  } else {
    ms = Date.UTC(...fields);
    if (zone.toUpperCase() !== "Z") {
      const sign = zone[0] === "-" ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      const offset = +digits.slice(0, 2) * 60 + +(digits.slice(2) || "0");
      ms -= sign * offset * 60000;
    }
  }
  if (!Number.isFinite(ms)) return null;
  const micros = frac ? Math.floor(+(frac + "000000").slice(0, 6)) : 0;
  return ms * 1000 + micros;
}

/**
 * job_metadata: what `start` and `stop` record about a job. Our own files are
 * JSON; the Python EPMT wrote a pickle under the same name. Both decode to
 * one shape, JobMetadata, so dump and submit treat them alike.
 */
import { UserError } from "../errors.ts";
import { readRegularFile } from "../io.ts";
import { limits } from "../limits.ts";
import { isSecretName, maskSecretText, parseTags } from "./env.ts";
import {
  decodePickle,
  looksLikePickle,
  PickleError,
  PyDateTime,
  type PyDict,
  type PyValue,
} from "./pickle.ts";
import { isoFromNaiveLocal, isoLocal } from "./time.ts";
import { METADATA_FILE } from "./layout.ts";

/** The version of our JSON layout; readers refuse newer ones. */
export const METADATA_FORMAT_VERSION = 1;

export { METADATA_FILE, START_FILE } from "./layout.ts";

/** One `epmt run` of the job. */
export interface JobRun {
  /** The command and its arguments. */
  argv: string[];
  /** The command's exit status; 128+N when it died of signal N. */
  exit_status: number;
  /** ISO 8601 with offset. */
  start: string;
  /** ISO 8601 with offset. */
  end: string;
}

/** What `start` writes (job_metadata.tmp). Timestamps are ISO 8601. */
export interface StartRecord {
  format_version: number;
  exp_component: string;
  exp_jobname: string;
  exp_name: string;
  exp_oname: string;
  /** The environment at start, without secrets. */
  job_pl_env: Record<string, string>;
  job_pl_env_len: number;
  /** The batch system variables the job's identity came from. */
  job_pl_from_batch: string[];
  job_pl_groupnames: string[];
  job_pl_hostname: string;
  job_pl_id: string;
  job_pl_jobname: string;
  job_pl_scriptname: string;
  job_pl_start: string;
  job_pl_submit: string;
  job_pl_username: string;
  /** From EPMT_JOB_TAGS ("k:v;k2:v2"). */
  job_tags: Record<string, string>;
}

/** A finished job's metadata (job_metadata): start record plus stop record. */
export interface JobMetadata extends StartRecord {
  /** Variables added or changed between start and stop; removed ones null. */
  job_el_env_changes: Record<string, string | null>;
  job_el_env_changes_len: number;
  job_el_from_batch: string[];
  /** The first non-zero exit status among the runs, else 0. */
  job_el_status: number;
  job_el_stop: string;
  job_runs: JobRun[];
}

/** The keys `dump` prints, in its order. */
export const DUMP_KEYS = [
  "exp_component",
  "exp_jobname",
  "exp_name",
  "exp_oname",
  "job_el_env_changes",
  "job_el_env_changes_len",
  "job_el_from_batch",
  "job_el_status",
  "job_el_stop",
  "job_pl_env",
  "job_pl_env_len",
  "job_pl_from_batch",
  "job_pl_groupnames",
  "job_pl_hostname",
  "job_pl_id",
  "job_pl_jobname",
  "job_pl_scriptname",
  "job_pl_start",
  "job_pl_submit",
  "job_pl_username",
] as const;

/**
 * exp_name, exp_component and exp_oname: from the job tags of those names
 * when present, else from a job name of the form
 * `<exp_name>_<exp_component>_<exp_oname>` (split at its last two
 * underscores), else empty. exp_jobname is the job name whenever any of the
 * three is known.
 *
 * @example
 * expFields("CM4_piControl_C_atmos_00050101", {});
 * // {exp_name: "CM4_piControl_C", exp_component: "atmos", exp_oname: "00050101", ...}
 */
export function expFields(
  jobname: string,
  tags: Record<string, string>,
): Pick<
  StartRecord,
  "exp_component" | "exp_jobname" | "exp_name" | "exp_oname"
> {
  const m = jobname.match(/^(.+)_([^_]+)_([^_]+)$/);
  const exp_name = tags.exp_name ?? m?.[1] ?? "";
  const exp_component = tags.exp_component ?? m?.[2] ?? "";
  const exp_oname = tags.exp_oname ?? m?.[3] ?? "";
  const known = exp_name || exp_component || exp_oname;
  return {
    exp_component,
    exp_jobname: known ? jobname : "",
    exp_name,
    exp_oname,
  };
}

/**
 * Decodes a job_metadata file's bytes, our JSON or the Python EPMT's pickle
 * (told apart by content). `source` names the file in errors. Throws
 * UserError for anything that is not a complete job record.
 *
 * @example
 * const meta = decodeJobMetadata(await Deno.readFile(path), path);
 */
export function decodeJobMetadata(
  bytes: Uint8Array,
  source: string,
): JobMetadata {
  const value = decodeAny(bytes, source);
  if (value.kind === "pickle") return fromPickle(value.data, source);
  return checkJobMetadata(value.data, source);
}

/** Decodes a start record (job_metadata.tmp, our JSON only). */
export function decodeStartRecord(
  bytes: Uint8Array,
  source: string,
): StartRecord {
  const value = decodeAny(bytes, source);
  if (value.kind === "pickle") {
    throw new UserError(
      `${source}: a Python EPMT start record; stop that job with the Python EPMT`,
    );
  }
  return checkFields(value.data, START_FIELDS, source) as StartRecord;
}

/**
 * Reads and decodes job metadata from a file, or from `job_metadata` inside
 * a directory. A missing or bad file is a UserError naming it.
 */
export async function readJobMetadata(path: string): Promise<JobMetadata> {
  let file = path;
  let bytes: Uint8Array;
  try {
    if ((await Deno.stat(path)).isDirectory) file = `${path}/${METADATA_FILE}`;
    bytes = readRegularFile(
      file,
      `job metadata ${file}`,
      limits().metadataBytes,
      "max_metadata_bytes",
    );
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read job metadata ${file}: ${reason(e)}`);
  }
  return decodeJobMetadata(bytes, file);
}

/** Our JSON text for a record, keys in a stable order, ending in a newline. */
export function encodeMetadata(record: StartRecord | JobMetadata): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    sorted[key] = (record as unknown as Record<string, unknown>)[key];
  }
  return JSON.stringify(sorted, null, 2) + "\n";
}

// ---------------------------------------------------------------------------

type Decoded =
  | { kind: "json"; data: Record<string, unknown> }
  | { kind: "pickle"; data: PyDict };

function decodeAny(bytes: Uint8Array, source: string): Decoded {
  if (bytes.length === 0) throw new UserError(`${source}: file is empty`);
  let first = 0;
  while (first < bytes.length && /\s/.test(String.fromCharCode(bytes[first]))) {
    first++;
  }
  if (bytes[first] === 0x7b /* { */) {
    let data: unknown;
    try {
      data = JSON.parse(
        new TextDecoder("utf-8", { fatal: true }).decode(bytes),
      );
    } catch (e) {
      throw new UserError(
        `${source}: not valid JSON job metadata: ${reason(e)}`,
      );
    }
    if (!isPlainObject(data)) {
      throw new UserError(`${source}: job metadata is not a JSON object`);
    }
    refuseDeep(data, source);
    return { kind: "json", data };
  }
  if (looksLikePickle(bytes)) {
    let data: PyValue;
    try {
      data = decodePickle(bytes);
    } catch (e) {
      if (e instanceof PickleError) {
        throw new UserError(`${source}: bad Python pickle: ${e.message}`);
      }
      // The decoder's last pass recurses: a stack overflow means nesting.
      if (e instanceof RangeError) throw tooDeep(source);
      throw e;
    }
    refuseDeep(data, source);
    if (!isPyDict(data)) {
      throw new UserError(`${source}: the pickle does not hold a dict`);
    }
    return { kind: "pickle", data };
  }
  throw new UserError(
    `${source}: not job metadata (neither JSON nor a Python pickle)`,
  );
}

/** Real records nest 3 levels; anything near this is hostile or broken. */
const MAX_DEPTH = 64;

function tooDeep(source: string): UserError {
  return new UserError(
    `${source}: nested more than ${MAX_DEPTH} levels deep: refused`,
  );
}

/**
 * Refuses data nested deeper than MAX_DEPTH (or cyclic), before any code
 * that walks it recursively runs out of stack. Iterative; a value shared
 * by several parents (pickle memo) is walked again only when reached at a
 * greater depth.
 */
function refuseDeep(value: unknown, source: string): void {
  const reached = new Map<object, number>();
  const todo: [unknown, number][] = [[value, 1]];
  while (todo.length) {
    const [v, depth] = todo.pop()!;
    if (typeof v !== "object" || v === null || v instanceof Uint8Array) {
      continue;
    }
    if (depth > MAX_DEPTH) throw tooDeep(source);
    if ((reached.get(v) ?? 0) >= depth) continue;
    reached.set(v, depth);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      todo.push([child, depth + 1]);
    }
  }
}

type Kind = "string" | "int" | "strings" | "env" | "changes" | "runs";

const START_FIELDS: Record<string, Kind> = {
  exp_component: "string",
  exp_jobname: "string",
  exp_name: "string",
  exp_oname: "string",
  job_pl_env: "env",
  job_pl_env_len: "int",
  job_pl_from_batch: "strings",
  job_pl_groupnames: "strings",
  job_pl_hostname: "string",
  job_pl_id: "string",
  job_pl_jobname: "string",
  job_pl_scriptname: "string",
  job_pl_start: "string",
  job_pl_submit: "string",
  job_pl_username: "string",
  job_tags: "env",
};

const STOP_FIELDS: Record<string, Kind> = {
  ...START_FIELDS,
  job_el_env_changes: "changes",
  job_el_env_changes_len: "int",
  job_el_from_batch: "strings",
  job_el_status: "int",
  job_el_stop: "string",
  job_runs: "runs",
};

function checkJobMetadata(
  data: Record<string, unknown>,
  source: string,
): JobMetadata {
  if (!("job_el_stop" in data) && "job_pl_start" in data) {
    throw new UserError(
      `${source}: the job has no stop record (was epmt stop run?)`,
    );
  }
  return checkFields(data, STOP_FIELDS, source) as JobMetadata;
}

function checkFields(
  data: Record<string, unknown>,
  fields: Record<string, Kind>,
  source: string,
): unknown {
  const version = data.format_version;
  if (typeof version !== "number" || !Number.isInteger(version)) {
    throw new UserError(
      `${source}: key format_version: missing or not a number`,
    );
  }
  if (version > METADATA_FORMAT_VERSION) {
    throw new UserError(
      `${source}: written by a newer epmt (format ${version}; this one reads up to ${METADATA_FORMAT_VERSION})`,
    );
  }
  for (const [key, kind] of Object.entries(fields)) {
    if (!valid(data[key], kind)) {
      throw new UserError(
        `${source}: key ${key}: ${
          key in data ? `expected ${KIND_TEXT[kind]}` : "missing"
        }`,
      );
    }
  }
  return data;
}

const KIND_TEXT: Record<Kind, string> = {
  string: "a string",
  int: "an integer",
  strings: "a list of strings",
  env: "an object of strings",
  changes: "an object of strings or nulls",
  runs: "a list of runs {argv, exit_status, start, end}",
};

function valid(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "strings":
      return Array.isArray(v) && v.every((s) => typeof s === "string");
    case "env":
      return isPlainObject(v) &&
        Object.values(v).every((s) => typeof s === "string");
    case "changes":
      return isPlainObject(v) &&
        Object.values(v).every((s) => typeof s === "string" || s === null);
    case "runs":
      return Array.isArray(v) &&
        v.every((r) =>
          isPlainObject(r) && valid(r.argv, "strings") &&
          valid(r.exit_status, "int") && typeof r.start === "string" &&
          typeof r.end === "string"
        );
  }
}

// ---------------------------------------------------------------------------
// The Python EPMT's pickles. Its keys changed over time: early versions used
// job_pl_start/job_el_stop/job_el_status (naive local datetimes), later ones
// job_pl_start_ts/job_el_stop_ts/job_el_exitcode, job_jobname, job_tags and
// job_env_changes (timezone-aware datetimes). Both map to our names.

function fromPickle(d: PyDict, source: string): JobMetadata {
  const bad = (key: string, what: string) =>
    new UserError(`${source}: key ${key}: ${what}`);
  const pick = (...keys: string[]): [string, PyValue] | undefined => {
    for (const k of keys) {
      if (Object.hasOwn(d, k) && d[k] !== null) return [k, d[k]];
    }
    return undefined;
  };
  const text = (keys: string[], fallback?: string): string => {
    const found = pick(...keys);
    if (!found) {
      if (fallback !== undefined) return fallback;
      throw bad(keys[0], "missing");
    }
    const [k, v] = found;
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    throw bad(k, "expected a string");
  };
  const time = (keys: string[]): string | undefined => {
    const found = pick(...keys);
    if (!found) return undefined;
    const [k, v] = found;
    if (v instanceof PyDateTime) {
      return v.tzinfo ? v.toISOString() : isoFromNaiveLocal(
        v.year,
        v.month,
        v.day,
        v.hour,
        v.minute,
        v.second,
        v.microsecond,
      );
    }
    if (typeof v === "number") return isoLocal(v * 1000);
    if (typeof v === "string" && !Number.isNaN(Date.parse(v))) return v;
    throw bad(k, "expected a datetime");
  };
  const strDict = (keys: string[]): Record<string, string> => {
    const found = pick(...keys);
    if (!found) return {};
    const [k, v] = found;
    if (!isPyDict(v)) throw bad(k, "expected a dict");
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(v)) {
      if (isSecretName(name)) continue;
      out[name] = maskSecretText(
        scalarText(value) ?? JSON.stringify(jsonable(value)),
      );
    }
    return out;
  };
  const strList = (keys: string[]): string[] => {
    const found = pick(...keys);
    if (!found) return [];
    const [k, v] = found;
    if (typeof v === "string") return [v];
    if (!Array.isArray(v)) throw bad(k, "expected a list");
    return v.map((item) => scalarText(item) ?? JSON.stringify(jsonable(item)));
  };
  const integer = (keys: string[], fallback: number): number => {
    const found = pick(...keys);
    if (!found) return fallback;
    const [k, v] = found;
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
    throw bad(k, "expected an integer");
  };

  const id = text(["job_pl_id"]);
  const jobname = text(["job_pl_jobname", "job_jobname"], id);
  const start = time(["job_pl_start", "job_pl_start_ts"]);
  if (!start) throw bad("job_pl_start_ts", "missing");
  const stop = time(["job_el_stop", "job_el_stop_ts"]);
  if (!stop) {
    throw new UserError(
      `${source}: the job has no stop record (was epmt stop run?)`,
    );
  }
  const env = strDict(["job_pl_env"]);
  const changes = strDict(["job_el_env_changes", "job_env_changes"]);
  let tags: Record<string, string>;
  const rawTags = pick("job_tags");
  if (rawTags && typeof rawTags[1] === "string") tags = parseTags(rawTags[1]);
  else if (rawTags) tags = strDict(["job_tags"]);
  else tags = parseTags(changes.EPMT_JOB_TAGS ?? env.EPMT_JOB_TAGS);

  const exp = expFields(jobname, tags);
  for (const key of ["exp_name", "exp_component", "exp_oname"] as const) {
    const own = pick(key);
    if (own && typeof own[1] === "string") exp[key] = own[1];
  }
  const ownJobname = pick("exp_jobname");
  if (ownJobname && typeof ownJobname[1] === "string") {
    exp.exp_jobname = ownJobname[1];
  }

  return {
    format_version: METADATA_FORMAT_VERSION,
    ...exp,
    job_el_env_changes: changes,
    job_el_env_changes_len: Object.keys(changes).length,
    job_el_from_batch: strList(["job_el_from_batch"]),
    job_el_status: integer(["job_el_status", "job_el_exitcode"], 0),
    job_el_stop: stop,
    job_pl_env: env,
    job_pl_env_len: Object.keys(env).length,
    job_pl_from_batch: strList(["job_pl_from_batch"]),
    job_pl_groupnames: strList(["job_pl_groupnames"]),
    job_pl_hostname: text(["job_pl_hostname"], ""),
    job_pl_id: id,
    job_pl_jobname: jobname,
    job_pl_scriptname: text(["job_pl_scriptname"], jobname),
    job_pl_start: start,
    job_pl_submit: time(["job_pl_submit", "job_pl_submit_ts"]) ?? start,
    job_pl_username: text(["job_pl_username"], ""),
    job_runs: [],
    job_tags: tags,
  };
}

function scalarText(v: PyValue): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null) return "None";
  return undefined;
}

/** A decoded pickle value in a form JSON can hold. */
function jsonable(v: PyValue): unknown {
  if (v === null || typeof v !== "object") {
    return typeof v === "bigint" ? String(v) : v;
  }
  if (v instanceof Uint8Array) return new TextDecoder("latin1").decode(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if ("toISOString" in v && typeof v.toISOString === "function") {
    return v.toISOString();
  }
  if (isPyDict(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, jsonable(x)]),
    );
  }
  return String(v);
}

function isPyDict(v: PyValue): v is PyDict {
  return typeof v === "object" && v !== null &&
    Object.getPrototypeOf(v) === Object.prototype;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Every setting epmt knows: its type, its built-in default and how to check
 * a value. Keys inside db_params are written "db_params.<field>".
 */
import { DEFAULT_LIMITS } from "../limits.ts";

export type Provider = "sqlite" | "postgres";

export interface DbParams {
  provider: Provider;
  /** SQLite file, or ":memory:". */
  filename: string;
  host: string;
  port: number;
  user: string;
  password: string;
  dbname: string;
}

export interface Settings {
  db_params: DbParams;
  debug: boolean;
  input_pattern: string;
  /** Where the collector libraries are; "" means beside the epmt program. */
  install_prefix: string;
  metrics_offset: number;
  /** "" means: chosen by `run` for the collector it finds. */
  papiex_options: string;
  papiex_output: string;
  /** Where `stage` puts <jobid>.tgz. */
  stage_dest: string;
  /** What the SLURM Epilog does after stop: "stage", "submit" or "stop". */
  slurm_epilog: string;
  /** Bounds on input (src/limits.ts): bytes, except the expansion ratio. */
  max_line_bytes: number;
  max_member_bytes: number;
  max_expansion: number;
  max_metadata_bytes: number;
  /** `epmt retire` deletes jobs started more than this many days ago; 0 keeps them. */
  retire_jobs_ndays: number;
  /**
   * `epmt retire` drops the process rows (keeping the job row and its sums)
   * of jobs started more than this many days ago; 0 keeps them.
   */
  retire_procs_ndays: number;
  /** Submit analyses each job (efficiency, verdicts, flags vs a model). */
  analyze_on_submit: boolean;
  /** `epmt stop` prints a short summary of the job to stderr. */
  job_summary: boolean;
}

type Kind =
  | "string"
  | "boolean"
  | "integer"
  | "positive"
  | "provider"
  | "port"
  | "days";

export interface KeySpec {
  /** "debug" or "db_params.host". */
  key: string;
  kind: Kind;
  /** The variable that overrides it. */
  env: string;
  secret?: boolean;
}

function spec(key: string, kind: Kind, secret = false): KeySpec {
  const env = key.startsWith("db_params.")
    ? "EPMT_DB_" + key.slice("db_params.".length).toUpperCase()
    : "EPMT_" + key.toUpperCase();
  return { key, kind, env, secret };
}

/** In the order `help` prints them. */
export const KEYS: readonly KeySpec[] = [
  spec("db_params.provider", "provider"),
  spec("db_params.filename", "string"),
  spec("db_params.host", "string"),
  spec("db_params.port", "port"),
  spec("db_params.user", "string"),
  spec("db_params.password", "string", true),
  spec("db_params.dbname", "string"),
  spec("debug", "boolean"),
  spec("input_pattern", "string"),
  spec("install_prefix", "string"),
  spec("metrics_offset", "integer"),
  spec("papiex_options", "string"),
  spec("papiex_output", "string"),
  spec("stage_dest", "string"),
  spec("slurm_epilog", "string"),
  spec("max_line_bytes", "positive"),
  spec("max_member_bytes", "positive"),
  spec("max_expansion", "positive"),
  spec("max_metadata_bytes", "positive"),
  spec("retire_jobs_ndays", "days"),
  spec("retire_procs_ndays", "days"),
  spec("analyze_on_submit", "boolean"),
  spec("job_summary", "boolean"),
];

export function defaults(): Settings {
  return {
    db_params: {
      provider: "sqlite",
      filename: "~/.epmt/epmt.db",
      host: "localhost",
      port: 5432,
      user: "postgres",
      password: "",
      dbname: "EPMT",
    },
    debug: false,
    input_pattern: "*-papiex-[0-9]*-[0-9]*.csv",
    install_prefix: "",
    metrics_offset: 12,
    papiex_options: "",
    papiex_output: "/tmp/epmt/",
    stage_dest: "./",
    slurm_epilog: "stage",
    max_line_bytes: DEFAULT_LIMITS.lineBytes,
    max_member_bytes: DEFAULT_LIMITS.memberBytes,
    max_expansion: DEFAULT_LIMITS.expansion,
    max_metadata_bytes: DEFAULT_LIMITS.metadataBytes,
    retire_jobs_ndays: 0,
    retire_procs_ndays: 0,
    analyze_on_submit: true,
    job_summary: false,
  };
}

/**
 * Checks and converts one value. Strings come from the environment, other
 * JSON types from a settings file. Returns an error text on failure.
 */
export function coerce(
  kind: Kind,
  value: unknown,
): { value: unknown } | { error: string } {
  const fromEnv = typeof value === "string";
  switch (kind) {
    case "string":
      return typeof value === "string"
        ? { value }
        : { error: `expected a string, got ${show(value)}` };
    case "provider":
      return value === "sqlite" || value === "postgres"
        ? { value }
        : { error: `expected "sqlite" or "postgres", got ${show(value)}` };
    case "boolean": {
      if (typeof value === "boolean") return { value };
      if (fromEnv && /^(1|true|yes|on)$/i.test(value)) return { value: true };
      if (fromEnv && /^(0|false|no|off|)$/i.test(value)) {
        return { value: false };
      }
      return { error: `expected true or false, got ${show(value)}` };
    }
    case "integer":
    case "positive":
    case "days":
    case "port": {
      const n = fromEnv && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      const ok = typeof n === "number" && Number.isSafeInteger(n) &&
        (kind === "integer" || (kind === "positive" && n >= 1) ||
          (kind === "days" && n >= 0) ||
          (n >= 1 && n <= 65535));
      if (ok) return { value: n };
      return {
        error: kind === "port"
          ? `expected a port number 1-65535, got ${show(value)}`
          : kind === "positive"
          ? `expected a whole number above 0, got ${show(value)}`
          : kind === "days"
          ? `expected a number of days >= 0 (0 keeps everything), got ${
            show(value)
          }`
          : `expected an integer, got ${show(value)}`,
      };
    }
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

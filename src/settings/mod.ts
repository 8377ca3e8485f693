/**
 * Settings: built-in defaults, then a JSON settings file, then EPMT_*
 * environment variables, each layer overriding the one before.
 */
import { isAbsolute, join } from "node:path";
import { UserError } from "../errors.ts";
import * as log from "../log.ts";
import { programDir } from "../program_dir.ts";
import {
  coerce,
  defaults,
  KEYS,
  type KeySpec,
  type Settings,
} from "./schema.ts";
import { isFile } from "../io.ts";
import { MASK, maskHost, maskSecretText } from "../secrets.ts";

export type { DbParams, Provider, Settings } from "./schema.ts";
export { defaults, KEYS } from "./schema.ts";

export interface LoadedSettings {
  settings: Settings;
  /** The settings file used, if any. */
  file?: string;
  /** Names of the EPMT_* variables that override a setting. */
  overrides: string[];
  /** Keys of the settings file that epmt does not know (ignored). */
  unknown: string[];
}

/**
 * Finds and reads the settings file (EPMT_SETTINGS, else settings.json
 * beside the program, else ~/.config/epmt/settings.json), then applies the
 * environment. Throws UserError naming the file or variable and the key.
 *
 * @example
 * const { settings } = loadSettings(Deno.env.toObject());
 */
export function loadSettings(env: Record<string, string>): LoadedSettings {
  const settings = defaults();
  const file = findSettingsFile(env);
  const unknown = file ? applyFile(settings, file) : [];
  const overrides: string[] = [];
  for (const spec of KEYS) {
    const raw = env[spec.env];
    if (raw === undefined) continue;
    setKey(settings, spec, raw, `environment variable ${spec.env}`);
    overrides.push(spec.env);
  }
  settings.db_params.filename = expandHome(settings.db_params.filename, env);
  settings.papiex_output = expandHome(settings.papiex_output, env);
  settings.stage_dest = expandHome(settings.stage_dest, env);
  settings.install_prefix = expandHome(settings.install_prefix, env);
  // Relative, it would name another job directory after every cd.
  if (!isAbsolute(settings.papiex_output)) {
    const where = overrides.includes("EPMT_PAPIEX_OUTPUT")
      ? "environment variable EPMT_PAPIEX_OUTPUT"
      : `settings file ${file}`;
    throw new UserError(
      `${where}: key papiex_output: expected an absolute path (or one starting with ~/), got ${
        JSON.stringify(settings.papiex_output)
      }`,
    );
  }
  return { settings, file, overrides, unknown };
}

function findSettingsFile(env: Record<string, string>): string | undefined {
  if (env.EPMT_SETTINGS) {
    if (!isFile(env.EPMT_SETTINGS)) {
      throw new UserError(
        `settings file ${env.EPMT_SETTINGS} (from EPMT_SETTINGS) does not exist`,
      );
    }
    return env.EPMT_SETTINGS;
  }
  const candidates = [join(programDir(), "settings.json")];
  if (env.HOME) candidates.push(join(env.HOME, ".config/epmt/settings.json"));
  return candidates.find(isFile);
}

/** Applies the file's keys; returns those it does not know. */
function applyFile(settings: Settings, file: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Deno.readTextFileSync(file));
  } catch (e) {
    const why = e instanceof SyntaxError ? "is not valid JSON: " : "";
    throw new UserError(
      `settings file ${file} ${why}${e instanceof Error ? e.message : e}`,
    );
  }
  if (!isObject(parsed)) {
    throw new UserError(`settings file ${file}: expected a JSON object`);
  }
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "db_params") {
      if (!isObject(value)) {
        throw new UserError(
          `settings file ${file}: key db_params: expected an object`,
        );
      }
      for (const [field, v] of Object.entries(value)) {
        applyKey(settings, file, `db_params.${field}`, v, unknown);
      }
    } else {
      applyKey(settings, file, key, value, unknown);
    }
  }
  return unknown;
}

function applyKey(
  settings: Settings,
  file: string,
  key: string,
  value: unknown,
  unknown: string[],
): void {
  const spec = KEYS.find((s) => s.key === key);
  if (!spec) {
    log.warning(`settings file ${file}: unknown key ${key} ignored`);
    unknown.push(key);
    return;
  }
  setKey(settings, spec, value, `settings file ${file}`);
}

function setKey(
  settings: Settings,
  spec: KeySpec,
  value: unknown,
  where: string,
): void {
  const result = coerce(spec.kind, value);
  if ("error" in result) {
    const shown = spec.secret ? "expected a string" : result.error;
    throw new UserError(`${where}: key ${spec.key}: ${shown}`);
  }
  const path = spec.key.split(".");
  // deno-lint-ignore no-explicit-any
  let target: any = settings;
  for (const part of path.slice(0, -1)) target = target[part];
  target[path[path.length - 1]] = result.value;
}

/** The value of a key for display; secrets are masked. */
export function displayValue(settings: Settings, spec: KeySpec): string {
  // deno-lint-ignore no-explicit-any
  let value: any = settings;
  for (const part of spec.key.split(".")) value = value[part];
  if (spec.secret) return value ? MASK : "";
  if (spec.key === "db_params.host") return maskHost(value);
  return typeof value === "string"
    ? maskSecretText(value)
    : JSON.stringify(value);
}

function expandHome(path: string, env: Record<string, string>): string {
  if (path === "~" || path.startsWith("~/")) {
    return (env.HOME ?? "") + path.slice(1);
  }
  return path;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The known key closest to a misspelt `key` (at most two edits away), for
 * a "did you mean" hint; undefined when none is that close.
 *
 * @example
 * closestKey("papiex_ouptut"); // "papiex_output"
 */
export function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const spec of KEYS) {
    const d = editDistance(key.toLowerCase(), spec.key);
    if (d < bestDistance) [best, bestDistance] = [spec.key, d];
  }
  return best;
}

/** Levenshtein distance, with a transposition counted as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from(
    { length: a.length + 1 },
    () => new Array<number>(b.length + 1).fill(0),
  );
  for (let i = 0; i <= a.length; i++) d[i][0] = i;
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

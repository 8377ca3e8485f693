/** What of a job's environment is recorded, and how tags are read from it. */

import { isSecretName, maskSecretText } from "../secrets.ts";

export { isSecretName, maskSecrets, maskSecretText } from "../secrets.ts";

/**
 * The environment as recorded in job_pl_env: everything but secrets'
 * variables, passwords in values masked (src/secrets.ts).
 */
export function recordableEnv(
  env: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    if (!isSecretName(name)) out[name] = maskSecretText(env[name]);
  }
  return out;
}

/**
 * Variables that differ between start and stop: added or changed ones with
 * their value at stop, removed ones as null. Secrets are left out.
 */
export function envChanges(
  start: Record<string, string>,
  stop: Record<string, string>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const names = new Set([...Object.keys(start), ...Object.keys(stop)]);
  for (const name of [...names].sort()) {
    if (isSecretName(name)) continue;
    const before = Object.hasOwn(start, name) ? start[name] : undefined;
    const after = Object.hasOwn(stop, name) ? stop[name] : undefined;
    if (before !== after) out[name] = after ?? null;
  }
  return out;
}

/**
 * Job tags from `EPMT_JOB_TAGS="k:v;k2:v2"`, as the Python EPMT read them.
 * A tag without a colon gets the empty value; blanks around parts are dropped.
 *
 * @example
 * parseTags("exp_name:ESM4;exp_component:atmos"); // {exp_name: "ESM4", ...}
 */
export function parseTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of (text ?? "").split(";")) {
    const item = part.trim();
    if (!item) continue;
    const colon = item.indexOf(":");
    const key = (colon < 0 ? item : item.slice(0, colon)).trim();
    if (!key) continue;
    tags[key] = colon < 0 ? "" : item.slice(colon + 1).trim();
  }
  return tags;
}

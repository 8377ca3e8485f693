/** What of a job's environment is recorded, and how tags are read from it. */

/**
 * Names of variables that hold secrets: passwords, tokens, keys. A job's
 * environment is private to its user on the node, but job metadata goes
 * into archives and a database that others read.
 */
const SECRET_NAME =
  /PASSW(OR)?D|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY/i;

/**
 * True for variables that may hold a secret (EPMT_DB_PASSWORD, PGPASSWORD,
 * GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ...): their values are never
 * written to job metadata or stored.
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * `value` with the password of any URL in it masked
 * (`postgres://alice:****@db/EPMT`).
 *
 * @example
 * maskUrlPasswords("postgres://u:pw@h/db"); // "postgres://u:****@h/db"
 */
export function maskUrlPasswords(value: string): string {
  return value.replace(
    /([a-z][\w+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi,
    "$1:****@",
  );
}

/**
 * A copy of `data` where every scalar under a secret's name is "****" and
 * every URL password in a string is masked, at any depth: for metadata
 * that an older writer (the Python EPMT) recorded whole.
 */
export function maskSecrets(data: unknown): unknown {
  if (typeof data === "string") return maskUrlPasswords(data);
  if (Array.isArray(data)) return data.map(maskSecrets);
  if (typeof data !== "object" || data === null) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] = isSecretName(k) && (typeof v === "string" || typeof v === "number")
      ? "****"
      : maskSecrets(v);
  }
  return out;
}

/**
 * The environment as recorded in job_pl_env: everything but secrets, URL
 * passwords masked.
 */
export function recordableEnv(
  env: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    if (!isSecretName(name)) out[name] = maskUrlPasswords(env[name]);
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

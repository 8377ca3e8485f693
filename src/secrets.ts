/**
 * What counts as a secret, and masking it. A job's environment is private
 * to its user on the node, but job metadata goes into archives and a
 * database that others read, and error lines go into shared logs: one rule,
 * used when a job is recorded, dumped, submitted and exported, and when a
 * database setting is shown.
 */

/**
 * Names of variables that may hold a secret: anything with PASS, PWD,
 * SECRET, TOKEN, KEY or CREDENTIAL in it (MYSQL_PWD, DB_PASS, PGPASSWORD,
 * GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ...), except the shell's working
 * directories PWD and OLDPWD.
 */
const SECRET_NAME = /PASS|PWD|SECRET|TOKEN|KEY|CREDENTIAL/i;
const NOT_SECRET = new Set(["PWD", "OLDPWD"]);

/** What a secret is shown as. */
export const MASK = "****";

/**
 * True for a variable or key name that may hold a secret.
 *
 * @example
 * isSecretName("MYSQL_PWD"); // true
 * isSecretName("PWD"); // false: the working directory
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name);
}

/**
 * A URL's userinfo password, up to the last `@` of its authority (a
 * password may hold `@`): scheme://user:PASSWORD@host.
 */
const URL_PASSWORD = /([a-z][\w+.-]*:\/\/[^\s:/?#@]*):[^\s/?#]*@/gi;
/**
 * `password=...` (libpq and ODBC connection strings, URL queries), the
 * value quoted or up to a blank, `&` or `;`.
 */
const PASSWORD_SETTING =
  /\b((?:password|passwd|pwd)\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|"[^"]*"?|[^\s&;]*)/gi;

/**
 * `value` with the passwords in it masked: URL userinfo passwords
 * (`postgres://alice:****@db/EPMT`) and `password=` settings
 * (`host=db password=**** dbname=x`).
 *
 * @example
 * maskSecretText("postgres://u:p@ss@h/db"); // "postgres://u:****@h/db"
 */
export function maskSecretText(value: string): string {
  if (!value.includes("@") && !/p(ass)?w(or)?d/i.test(value)) return value;
  return value.replace(URL_PASSWORD, `$1:${MASK}@`).replace(
    PASSWORD_SETTING,
    `$1${MASK}`,
  );
}

/**
 * A database host setting as shown in messages: secret text masked, and
 * userinfo given without a scheme (`carol:pw@db`) masked up to its last
 * `@`.
 *
 * @example
 * maskHost("carol:pw@db.example.org"); // "****@db.example.org"
 */
export function maskHost(host: string): string {
  const masked = maskSecretText(host);
  if (masked !== host || !host.includes("@")) return masked;
  return MASK + host.slice(host.lastIndexOf("@"));
}

/**
 * A copy of `data` where every scalar under a secret's name is "****" and
 * every string is masked by maskSecretText, at any depth.
 */
export function maskSecrets(data: unknown): unknown {
  if (typeof data === "string") return maskSecretText(data);
  if (Array.isArray(data)) return data.map(maskSecrets);
  if (typeof data !== "object" || data === null) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] = isSecretName(k) && (typeof v === "string" || typeof v === "number")
      ? MASK
      : maskSecrets(v);
  }
  return out;
}

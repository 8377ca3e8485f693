/**
 * Query-string checking for `epmt serve`: every route names the parameters
 * it takes, anything else is refused, and each value is checked before it
 * is bound into SQL as a parameter (never spliced into it).
 */

/** A request the client got wrong: answered with `status` and `message`. */
export class BadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = "BadRequest";
    this.status = status;
  }
}

/** Longest accepted value of any parameter (and of a job id). */
export const MAX_VALUE = 256;
/** Longest accepted request target (path and query). */
export const MAX_TARGET = 4096;

/**
 * The query string of `url` as one value per name, refusing names not in
 * `allowed`, repeated names, values longer than MAX_VALUE and control
 * characters (a NUL among them). Empty values count as absent.
 */
export function queryParams(
  url: URL,
  allowed: readonly string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const seen = new Set<string>();
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) {
      throw new BadRequest(
        `unknown parameter ${quote(name)}${
          allowed.length ? ` (this page takes ${allowed.join(", ")})` : ""
        }`,
      );
    }
    if (seen.has(name)) throw new BadRequest(`parameter ${name} given twice`);
    seen.add(name);
    checkText(name, value);
    if (value !== "") out[name] = value;
  }
  return out;
}

/** Refuses over-long text and control characters. */
export function checkText(what: string, value: string): string {
  if (value.length > MAX_VALUE) {
    throw new BadRequest(`${what} is longer than ${MAX_VALUE} characters`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new BadRequest(`${what} holds a control character`);
  }
  return value;
}

/** A whole number in [min, max], or `fallback` when absent. */
export function intParam(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value) || +value < min || +value > max) {
    throw new BadRequest(
      `${name} must be a whole number from ${min} to ${max}, not ${
        quote(value)
      }`,
    );
  }
  return +value;
}

/** One of `choices`, or `fallback` when absent. */
export function choiceParam<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new BadRequest(
      `${name} must be one of ${choices.join(", ")}, not ${quote(value)}`,
    );
  }
  return value as T;
}

/** A path segment decoded, or BadRequest when it is not valid. */
export function pathSegment(what: string, raw: string): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw new BadRequest(`${what} is not valid percent-encoding`);
  }
  if (s === "") throw new BadRequest(`${what} is empty`);
  return checkText(what, s);
}

/** A value for a message: quoted, and cut when long. */
export function quote(s: string): string {
  const t = s.length > 40 ? s.slice(0, 40) + "…" : s;
  return JSON.stringify(t);
}

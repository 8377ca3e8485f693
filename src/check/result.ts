/** What one check of `epmt check` found. */
export interface CheckResult {
  /** Short name, e.g. "collector". */
  name: string;
  ok: boolean;
  /** What was found, in a few words. */
  detail: string;
  /** When not ok: what to do about it. */
  fix?: string;
}

/** A passed check. */
export function pass(name: string, detail: string): CheckResult {
  return { name, ok: true, detail };
}

/** A failed check and its fix. */
export function fail(name: string, detail: string, fix: string): CheckResult {
  return { name, ok: false, detail, fix };
}

/** The message of anything thrown. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One line: `OK    name  detail` or `FAIL  name  detail; fix: ...`, the name
 * padded to `width` so a column of results lines up.
 */
export function formatResult(r: CheckResult, width: number): string {
  return `${r.ok ? "OK  " : "FAIL"}  ${r.name.padEnd(width)}  ${r.detail}${
    r.ok ? "" : `; fix: ${r.fix}`
  }`;
}

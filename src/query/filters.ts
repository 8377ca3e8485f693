/**
 * Command-line filters as SQL conditions that read the same on SQLite and
 * PostgreSQL: tags `k:v`, dates, users, experiments.
 */
import { UsageError } from "../errors.ts";
import type { SqlValue } from "../db/mod.ts";
import type { Provider } from "../settings/mod.ts";

/** A tag filter: key and value (`op:ocean`), or a key alone (`op`). */
export interface Tag {
  key: string;
  value?: string;
}

/**
 * Parses `k:v` (split at the first colon: values may hold colons) or `k`.
 *
 * @example
 * parseTag("op:ocean"); // { key: "op", value: "ocean" }
 */
export function parseTag(text: string): Tag {
  const colon = text.indexOf(":");
  const key = colon < 0 ? text : text.slice(0, colon);
  if (key === "") {
    throw new UsageError(
      `--tag wants KEY:VALUE or KEY, not ${JSON.stringify(text)}`,
    );
  }
  return colon < 0 ? { key } : { key, value: text.slice(colon + 1) };
}

/** A WHERE fragment and its parameters, in placeholder order. */
export interface Condition {
  sql: string;
  params: SqlValue[];
}

/** Joins conditions with AND ("TRUE" when there are none). */
export function allOf(conds: readonly Condition[]): Condition {
  if (conds.length === 0) return { sql: "1 = 1", params: [] };
  return {
    sql: conds.map((c) => `(${c.sql})`).join(" AND "),
    params: conds.flatMap((c) => c.params),
  };
}

/** SQLite's JSON path for one object key, quoted so dots stay in the key. */
function sqlitePath(key: string): string {
  return `$."${key}"`;
}

/**
 * `column` (a JSON object column, e.g. `jobs.tags` or `processes.tags`)
 * has the tag.
 */
export function objectHasTag(
  provider: Provider,
  column: string,
  tag: Tag,
): Condition {
  if (provider === "postgres") {
    return tag.value === undefined
      ? { sql: `jsonb_exists(${column}, ?::text)`, params: [tag.key] }
      : {
        sql: `${column} @> jsonb_build_object(?::text, ?::text)`,
        params: [tag.key, tag.value],
      };
  }
  return tag.value === undefined
    ? {
      sql: `json_type(${column}, ?) IS NOT NULL`,
      params: [sqlitePath(tag.key)],
    }
    : {
      sql: `json_extract(${column}, ?) = ?`,
      params: [sqlitePath(tag.key), tag.value],
    };
}

/**
 * `column` (a JSON array of tag objects: `jobs.proc_tags`) holds an object
 * with the tag.
 */
export function arrayHasTag(
  provider: Provider,
  column: string,
  tag: Tag,
): Condition {
  if (provider === "postgres") {
    return tag.value === undefined
      ? {
        sql:
          `EXISTS (SELECT 1 FROM jsonb_array_elements(${column}) e WHERE jsonb_exists(e, ?::text))`,
        params: [tag.key],
      }
      : {
        sql:
          `${column} @> jsonb_build_array(jsonb_build_object(?::text, ?::text))`,
        params: [tag.key, tag.value],
      };
  }
  const inner = objectHasTag(provider, "e.value", tag);
  return {
    sql: `EXISTS (SELECT 1 FROM json_each(${column}) e WHERE ${inner.sql})`,
    params: inner.params,
  };
}

/** A job has the tag among its own tags or any of its processes' tags. */
export function jobHasTag(provider: Provider, tag: Tag): Condition {
  const own = objectHasTag(provider, "jobs.tags", tag);
  const procs = arrayHasTag(provider, "jobs.proc_tags", tag);
  return {
    sql: `${own.sql} OR ${procs.sql}`,
    params: [...own.params, ...procs.params],
  };
}

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$/i;
const DATE =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d\d:?\d\d)?$/i;

/**
 * A date from the command line as µs since the epoch: `2026-11-25`,
 * `2026-11-25 14:30`, `2026-11-25T14:30:00Z` (local time without an offset),
 * or a time ago: `90m`, `12h`, `3d`, `2w`; also `now`, `today`,
 * `yesterday`.
 *
 * @example
 * parseDate("3d", Date.UTC(2026, 0, 4) * 1000); // 2026-01-01T00:00Z in µs
 */
export function parseDate(
  text: string,
  nowUs: number,
  option = "date",
): number {
  const t = text.trim();
  const now = new Date(Math.floor(nowUs / 1000));
  const midnight = (d: Date) =>
    new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() * 1000;
  if (/^now$/i.test(t)) return nowUs;
  if (/^today$/i.test(t)) return midnight(now);
  if (/^yesterday$/i.test(t)) {
    return midnight(
      new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1),
    );
  }
  const rel = RELATIVE.exec(t);
  if (rel) {
    const unit = rel[2].toLowerCase();
    const seconds = {
      s: 1,
      m: 60,
      min: 60,
      h: 3600,
      d: 86400,
      w: 7 * 86400,
    }[unit]!;
    return nowUs - Math.round(Number(rel[1]) * seconds * 1e6);
  }
  const m = DATE.exec(t);
  if (m) {
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const fields = [+y, +mo - 1, +d, +(h ?? 0), +(mi ?? 0), +(s ?? 0)] as const;
    let ms: number;
    if (zone === undefined) ms = new Date(...fields).getTime();
    else {
      ms = Date.UTC(...fields);
      if (zone.toUpperCase() !== "Z") {
        const sign = zone[0] === "-" ? -1 : 1;
        const digits = zone.slice(1).replace(":", "");
        ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60000;
      }
    }
    const check = new Date(ms);
    if (Number.isFinite(ms) && (zone !== undefined || check.getDate() === +d)) {
      return ms * 1000 + (frac ? +(frac + "00000").slice(0, 6) : 0);
    }
  }
  throw new UsageError(
    `${option}: cannot read ${
      JSON.stringify(text)
    } as a date (2026-11-25, '2026-11-25 14:30', 3d, 12h, today)`,
  );
}

/** What `epmt list` selects jobs by. */
export interface JobFilter {
  user?: string;
  tags?: Tag[];
  /** Started at or after, µs since the epoch. */
  after?: number;
  /** Started before, µs since the epoch. */
  before?: number;
  /** exp_name. */
  exp?: string;
  /** Only these job ids. */
  jobids?: string[];
  /** Only jobs whose stored analysis flagged something (src/analysis). */
  flagged?: boolean;
  /** Only jobs without a stored analysis, or whose analysis failed. */
  unanalyzed?: boolean;
}

/** The filter as conditions on `jobs`. */
export function jobConditions(provider: Provider, f: JobFilter): Condition {
  const conds: Condition[] = [];
  if (f.user !== undefined) {
    conds.push({ sql: "jobs.username = ?", params: [f.user] });
  }
  if (f.exp !== undefined) {
    conds.push({ sql: "jobs.exp_name = ?", params: [f.exp] });
  }
  if (f.after !== undefined) {
    conds.push({ sql: "jobs.start_us >= ?", params: [f.after] });
  }
  if (f.before !== undefined) {
    conds.push({ sql: "jobs.start_us < ?", params: [f.before] });
  }
  for (const tag of f.tags ?? []) conds.push(jobHasTag(provider, tag));
  if (f.flagged) {
    conds.push({
      sql: "EXISTS (SELECT 1 FROM analyses a WHERE a.jobid = jobs.jobid " +
        "AND a.num_flags > 0)",
      params: [],
    });
  }
  if (f.unanalyzed) {
    conds.push({
      sql: "NOT EXISTS (SELECT 1 FROM analyses a WHERE a.jobid = jobs.jobid " +
        "AND a.error IS NULL)",
      params: [],
    });
  }
  if (f.jobids !== undefined) {
    conds.push(
      f.jobids.length === 0 ? { sql: "1 = 0", params: [] } : {
        sql: `jobs.jobid IN (${f.jobids.map(() => "?").join(", ")})`,
        params: [...f.jobids],
      },
    );
  }
  return allOf(conds);
}

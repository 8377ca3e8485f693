/**
 * papiex_options and perf events, judged by the collector itself: it is
 * preloaded into a small shell loop with the options under test, and its
 * own debug lines (PAPIEX_DEBUG) and output columns say which names it does
 * not know and which events it could not count.
 */
import { join } from "node:path";
import type { Collector } from "../job/mod.ts";
import { type CheckResult, fail, pass, reason } from "./result.ts";

/** Flags our collector reads from PAPIEX_OPTIONS besides event names. */
const FLAGS = new Set(["COLLATED_CSV", "COLLATED_TSV"]);
/** Events the collector counts at once (MAX_EVENTS in native/collector.h). */
const MAX_EVENTS = 16;
/** Enough work for a CPU clock to tick. */
const WORK = [
  "/bin/sh",
  "-c",
  "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done",
];

interface Collected {
  /** Event name -> the first row's value ("" when not counted). */
  values: Map<string, string>;
  /** Names the collector said it does not know. */
  unknown: string[];
}

/** The option names in a PAPIEX_OPTIONS string, flags included. */
function names(options: string): string[] {
  return options.split(",").map((s) => s.trim()).filter((s) => s);
}

/**
 * papiex_options (as `run` would pass them) names only flags and events our
 * collector knows. A real papiex's options are passed unchecked.
 */
export async function checkOptions(
  collector: Collector | undefined,
  options: string,
): Promise<CheckResult> {
  const name = "papiex_options";
  if (!collector) return fail(name, options, "install the collector first");
  if (collector.kind === "papiex") {
    return pass(name, `${options} (passed to papiex unchanged, not checked)`);
  }
  const events = names(options).filter((n) => !FLAGS.has(n));
  if (events.length > MAX_EVENTS) {
    return fail(
      name,
      `${options}: ${events.length} events, the collector counts at most ${MAX_EVENTS}`,
      "name fewer events in papiex_options",
    );
  }
  let got: Collected;
  try {
    got = await collect(collector.preload[0], options);
  } catch (e) {
    return fail(name, `${options}: ${reason(e)}`, "see the collector line");
  }
  if (got.unknown.length > 0) {
    return fail(
      name,
      `${options}: unknown to the collector: ${got.unknown.join(", ")}`,
      "correct the names in papiex_options (EPMT_PAPIEX_OPTIONS); " +
        "'epmt check' lists the events this machine can count",
    );
  }
  return pass(name, options || "(empty: collect nothing)");
}

/**
 * Which of the collector's perf events can be counted here (the list is
 * read from the library itself). Fails when an event papiex_options asks
 * for cannot be counted.
 */
export async function checkEvents(
  collector: Collector | undefined,
  options: string,
): Promise<CheckResult> {
  const name = "perf_events";
  if (!collector) return fail(name, "no collector", "install the collector");
  if (collector.kind === "papiex") {
    return pass(name, "not checked (a real papiex is the collector)");
  }
  const lib = collector.preload[0];
  const all = knownEvents(lib);
  const counted: string[] = [];
  const missed: string[] = [];
  try {
    for (let i = 0; i < all.length; i += MAX_EVENTS) {
      const chunk = all.slice(i, i + MAX_EVENTS);
      const got = await collect(lib, chunk.join(","));
      for (const ev of chunk) {
        (/^\d+$/.test(got.values.get(ev) ?? "") ? counted : missed).push(ev);
      }
    }
  } catch (e) {
    return fail(name, reason(e), "see the collector line");
  }
  const wanted = names(options).filter((n) => missed.includes(n));
  const detail = `countable here: ${counted.join(" ") || "none"}; not: ${
    summarize(missed)
  }`;
  if (wanted.length > 0) {
    return fail(
      name,
      `papiex_options asks for ${
        wanted.join(", ")
      }, not countable here; ${detail}`,
      "leave them out of papiex_options on these nodes, or lower " +
        "kernel.perf_event_paranoid (hardware events need a PMU: not in most VMs)",
    );
  }
  return pass(name, detail);
}

/** "none", or the names, with a whole family said in one word. */
function summarize(missed: string[]): string {
  if (missed.length === 0) return "none";
  const parts: string[] = [];
  for (const family of ["PERF_COUNT_SW_", "PERF_COUNT_HW_"]) {
    const inFamily = missed.filter((m) => m.startsWith(family));
    if (inFamily.length === 0) continue;
    parts.push(
      inFamily.length > 3 ? `${inFamily.length} ${family}* events` : inFamily
        .join(" "),
    );
  }
  return parts.join(", ");
}

/**
 * The perf event names compiled into the collector: its name table is a
 * list of NUL-terminated strings, read here so the check never falls out
 * of step with the library.
 */
export function knownEvents(lib: string): string[] {
  const text = new TextDecoder("latin1").decode(Deno.readFileSync(lib));
  const found = new Set<string>();
  for (
    const m of text.matchAll(/(?<=\0)PERF_COUNT_(?:SW|HW)_[A-Z_]*[A-Z](?=\0)/g)
  ) {
    found.add(m[0]);
  }
  return [...found].sort();
}

/**
 * Preloads the collector into a small shell loop with `options` and
 * PAPIEX_DEBUG, in a scratch directory that is removed afterwards.
 */
async function collect(lib: string, options: string): Promise<Collected> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-check-events-" });
  try {
    const out = await new Deno.Command(WORK[0], {
      args: WORK.slice(1),
      clearEnv: true,
      env: {
        PATH: "/usr/bin:/bin",
        LD_PRELOAD: lib,
        PAPIEX_OUTPUT: dir + "/",
        // Per-process files: this check reads one row, by column name.
        PAPIEX_OPTIONS: names(options).filter((n) => !FLAGS.has(n)).join(","),
        PAPIEX_DEBUG: "1",
      },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    const unknown = [
      ...stderr.matchAll(/unknown event, its column stays empty: (\S+)/g),
    ].map((m) => m[1]);
    const values = new Map<string, string>();
    const file = [...Deno.readDirSync(dir)].find((e) =>
      e.name.endsWith(".csv")
    );
    if (names(options).some((n) => !FLAGS.has(n))) {
      if (!file) throw new Error("the collector wrote no file");
      const [header, row] = Deno.readTextFileSync(join(dir, file.name))
        .split("\n");
      const cols = splitCsv(header);
      const cells = splitCsv(row ?? "");
      cols.forEach((c, i) => values.set(c, cells[i] ?? ""));
    }
    return { values, unknown };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** One papiex CSV line: commas separate, a backslash escapes the next char. */
function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\") cur += line[++i] ?? "";
    else if (c === ",") {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

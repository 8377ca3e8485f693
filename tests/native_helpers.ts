/**
 * Shared by the native collector tests: run real programs with
 * native/libepmt.so preloaded, and read back what it wrote with a small
 * reader for papiex's CSV (backslash escaping, no quoting).
 */
import { join } from "node:path";
import { FIXTURES, ROOT } from "./helpers.ts";

export { FIXTURES };

/** The collector library and the test programs built beside it. */
export const LIB = join(ROOT, "native", "libepmt.so");
export const BUILD = join(ROOT, "native", "build");
/** What a program did: exit code or signal, and its output bytes. */
export interface Ran {
  code: number;
  signal: Deno.Signal | null;
  stdout: Uint8Array;
  stderr: string;
}

/** Options for run(). */
export interface RunOpts {
  /** PAPIEX_OPTIONS; undefined: run without the collector at all. */
  options?: string;
  /** PAPIEX_OUTPUT (the test's scratch directory). */
  out?: string;
  /** More environment (PATH is always set). */
  env?: Record<string, string>;
  cwd?: string;
  /** A callback given the running child, e.g. to signal it. */
  during?: (child: Deno.ChildProcess) => Promise<void>;
}

/** Runs a program, with the collector preloaded when opts.options is set,
 * in a clean environment so nothing leaks in from the test runner. */
export async function run(cmd: string[], opts: RunOpts = {}): Promise<Ran> {
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    ...opts.env,
  };
  if (opts.options !== undefined) {
    env.LD_PRELOAD = LIB;
    env.PAPIEX_OPTIONS = opts.options;
    if (opts.out !== undefined) env.PAPIEX_OUTPUT = opts.out;
  }
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.during) await opts.during(child);
  const out = await child.output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A fresh directory for one test; remove with Deno.remove(dir, {recursive}). */
export async function scratch(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "epmt-native-" });
}

/** Decodes one papiex CSV field (\\, \, and \a \b \f \n \r \t \v). */
function unescape(s: string): string {
  const map: Record<string, string> = {
    a: "\x07",
    b: "\b",
    f: "\f",
    n: "\n",
    r: "\r",
    t: "\t",
    v: "\v",
  };
  return s.replace(/\\(.)/gs, (_, c: string) => map[c] ?? c);
}

/** Splits one CSV line at the commas that are not escaped. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && i + 1 < line.length) {
      cur += c + line[++i];
    } else if (c === ",") {
      fields.push(unescape(cur));
      cur = "";
    } else cur += c;
  }
  fields.push(unescape(cur));
  return fields;
}

/** A parsed papiex CSV: the header and each row as column -> value. */
export interface Csv {
  header: string[];
  rows: Record<string, string>[];
}

/** Parses papiex CSV text; throws if a row has the wrong number of fields. */
export function parseCsv(text: string): Csv {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((line, i) => {
    const f = splitCsvLine(line);
    if (f.length !== header.length) {
      throw new Error(
        `row ${i + 1}: ${f.length} fields, header has ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, k) => [h, f[k]]));
  });
  return { header, rows };
}

/** One process: its first row (per-process columns) and all thread rows. */
export interface Proc {
  row: Record<string, string>;
  threads: Record<string, string>[];
}

/** Groups rows into processes: a process starts at a row whose pid is set
 * and has numtids rows. */
export function processes(csv: Csv): Proc[] {
  const procs: Proc[] = [];
  for (let i = 0; i < csv.rows.length;) {
    const row = csv.rows[i];
    if (row.pid === "") throw new Error(`row ${i + 1}: thread row first`);
    const n = Number(row.numtids);
    const threads = csv.rows.slice(i, i + n);
    if (threads.length !== n || threads.slice(1).some((t) => t.pid !== "")) {
      throw new Error(`row ${i + 1}: numtids ${n} does not match`);
    }
    procs.push({ row, threads });
    i += n;
  }
  return procs;
}

/** The CSV files in dir, each parsed (name -> Csv). */
export async function readCsvs(dir: string): Promise<Map<string, Csv>> {
  const out = new Map<string, Csv>();
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".csv")) {
      out.set(e.name, parseCsv(await Deno.readTextFile(join(dir, e.name))));
    }
  }
  return out;
}

/** Every process recorded in dir's CSV files. */
export async function allProcs(dir: string): Promise<Proc[]> {
  const procs: Proc[] = [];
  for (const csv of (await readCsvs(dir)).values()) {
    procs.push(...processes(csv));
  }
  return procs;
}

/** Names in dir, sorted. */
export async function names(dir: string): Promise<string[]> {
  const n: string[] = [];
  for await (const e of Deno.readDir(dir)) n.push(e.name);
  return n.sort();
}

/** The papiex header columns, from the real papiex sample. */
export async function papiexHeader(): Promise<string[]> {
  const text = await Deno.readTextFile(
    join(FIXTURES, "papiex", "single", "vm-papiex-5649-0.csv"),
  );
  return text.split("\n")[0].split(",");
}

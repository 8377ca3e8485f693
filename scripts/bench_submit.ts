/**
 * Benchmark of `epmt submit` (issue 4, "Speed"): a job of about 100,000
 * processes, made by replicating ../shared/fixtures/papiex/scale2k.tgz with
 * fresh pids, in the three forms the collector writes (one CSV file per
 * process, one concatenated CSV, one collated TSV), each submitted end to
 * end through ./epmt (start-up included) into SQLite and PostgreSQL. In the
 * same run, the raw bulk load of the same process rows from one CSV with
 * `sqlite3 .import` and `psql \copy` is timed as the baseline. With
 * PostgreSQL and the concatenated form, the server's own share is timed too:
 * `psql \copy` of the rows epmt stored into epmt's own processes table.
 *
 *   deno task bench submit
 *   deno run -A scripts/bench_submit.ts [--procs N] [--repeat R]
 *     [--forms percsv,concat,tsv] [--dbs sqlite,postgres] [--no-baseline]
 *     [--keep]
 *
 * PostgreSQL: 127.0.0.1:5432 as postgres (EPMT_TEST_PG_* override), a fresh
 * database per run. Needs the sqlite3 and psql programs, and GNU time for
 * the peak memory (RSS) column.
 */
import { join } from "node:path";
import { extractArchive } from "../src/archive/mod.ts";
import { encodeMetadata } from "../src/job/metadata.ts";
import { splitCsvLine } from "../src/ingest/papiex_csv.ts";
import { createTestDb, PG_HOST, PG_PORT, PG_USER } from "../tests/pg.ts";

const ROOT = new URL("..", import.meta.url).pathname;

interface Options {
  procs: number;
  repeat: number;
  forms: string[];
  dbs: string[];
  baseline: boolean;
  /** Leave the generated jobs in place (for profiling), saying where. */
  keep: boolean;
}

function options(): Options {
  const o: Options = {
    procs: 100_000,
    repeat: 3,
    forms: ["percsv", "concat", "tsv"],
    dbs: ["sqlite", "postgres"],
    baseline: true,
    keep: false,
  };
  const a = Deno.args;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === "--procs") o.procs = Number(a[++i]);
    else if (a[i] === "--repeat") o.repeat = Number(a[++i]);
    else if (a[i] === "--forms") o.forms = a[++i].split(",");
    else if (a[i] === "--dbs") o.dbs = a[++i].split(",");
    else if (a[i] === "--no-baseline") o.baseline = false;
    else if (a[i] === "--keep") o.keep = true;
    else throw new Error(`unknown argument ${a[i]}`);
  }
  return o;
}

function findFixtures(): string {
  for (let dir = ROOT; dir !== "/"; dir = join(dir, "..")) {
    const candidate = join(dir, "shared", "fixtures");
    try {
      if (Deno.statSync(candidate).isDirectory) return candidate;
    } catch {
      // further up
    }
    if (Deno.realPathSync(dir) === "/") break;
  }
  throw new Error("cannot find ../shared/fixtures");
}

/** One process of the template job: header names and its CSV lines. */
interface Template {
  header: string[];
  /** Each process: its rows (the first has the per-process columns). */
  procs: string[][][];
}

async function loadTemplate(): Promise<Template> {
  const tmp = await Deno.makeTempDir({ prefix: "epmt-bench-scale2k-" });
  try {
    await extractArchive(
      join(findFixtures(), "papiex", "scale2k.tgz"),
      tmp,
    );
    const dir = join(tmp, "scale2k");
    let header: string[] = [];
    const procs: string[][][] = [];
    for (
      const e of [...Deno.readDirSync(dir)].sort((a, b) =>
        a.name < b.name ? -1 : 1
      )
    ) {
      const lines = Deno.readTextFileSync(join(dir, e.name)).split("\n")
        .filter((l) => l);
      header = splitCsvLine(lines[0]);
      procs.push(lines.slice(1).map(splitCsvLine));
    }
    return { header, procs };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

// deno-lint-ignore no-control-regex
const CSV_ESCAPE = /[\\,\n\r\t\x07\b\f\v]/g;
const CSV_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  ",": "\\,",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\v": "\\v",
};
const papiexField = (s: string) => s.replace(CSV_ESCAPE, (c) => CSV_ESCAPES[c]);
const rfcField = (s: string) =>
  /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;

/** Writes the job in every form (and the baseline CSV) under `dir`. */
async function makeJob(
  t: Template,
  n: number,
  dir: string,
  forms: string[],
): Promise<number> {
  const percsv = forms.includes("percsv");
  const h = t.header;
  const col = (name: string) => h.indexOf(name);
  const [PID, PPID, TID, PGID] = ["pid", "ppid", "tid", "pgid"].map(col);
  const TEXT = new Set(["tags", "hostname", "exename", "path", "args"]);
  const copies = Math.ceil(n / t.procs.length);
  const meta = (id: string) =>
    encodeMetadata({
      format_version: 1,
      exp_component: "",
      exp_jobname: "",
      exp_name: "",
      exp_oname: "",
      job_pl_env: {},
      job_pl_env_len: 0,
      job_pl_from_batch: [],
      job_pl_groupnames: [],
      job_pl_hostname: "vm",
      job_pl_id: id,
      job_pl_jobname: "scale",
      job_pl_scriptname: "bench",
      job_pl_start: "2026-11-20T00:00:00Z",
      job_pl_submit: "2026-11-20T00:00:00Z",
      job_pl_username: "bench",
      job_tags: {},
      job_el_env_changes: {},
      job_el_env_changes_len: 0,
      job_el_from_batch: [],
      job_el_status: 0,
      job_el_stop: "2026-12-01T00:00:00Z",
      job_runs: [],
    });
  for (const f of ["percsv", "concat", "tsv"]) {
    await Deno.mkdir(join(dir, f), { recursive: true });
    await Deno.writeTextFile(join(dir, f, "job_metadata"), meta(`bench-${f}`));
  }
  const metrics = h.filter((c) =>
    !TEXT.has(c) &&
    ![
      "exitcode",
      "exitsignal",
      "pid",
      "generation",
      "ppid",
      "pgid",
      "sid",
      "numtids",
      "mpinumranks",
      "tid",
      "mpirank",
      "start",
      "end",
    ].includes(c)
  );
  const tsvText = [
    "tags",
    "hostname",
    "exename",
    "path",
    "exitcode",
    "exitsignal",
    "pid",
    "generation",
    "ppid",
    "pgid",
    "sid",
    "numtids",
    "start",
    "end",
    "args",
  ];
  await Deno.writeTextFile(
    join(dir, "tsv", "vm-papiex-header.tsv"),
    `{${metrics.join(",")}}\t${tsvText.join("\t")}\n`,
  );
  const enc = new TextEncoder();
  const concat = await Deno.open(
    join(dir, "concat", "vm-collated-papiex-bench-0.csv"),
    { write: true, create: true, truncate: true },
  );
  const tsv = await Deno.open(join(dir, "tsv", "vm-papiex.tsv"), {
    write: true,
    create: true,
    truncate: true,
  });
  const rows = await Deno.open(join(dir, "rows.csv"), {
    write: true,
    create: true,
    truncate: true,
  });
  const headerLine = h.join(",") + "\n";
  await concat.write(enc.encode(headerLine));
  await rows.write(enc.encode(headerLine));
  let made = 0;
  let concatBuf = "", tsvBuf = "", rowsBuf = "";
  const flush = async (force = false) => {
    if (force || concatBuf.length > 1 << 20) {
      await concat.write(enc.encode(concatBuf));
      await tsv.write(enc.encode(tsvBuf));
      await rows.write(enc.encode(rowsBuf));
      concatBuf = tsvBuf = rowsBuf = "";
    }
  };
  for (let r = 0; r < copies && made < n; r++) {
    const shift = r * 20000; // beyond the template's pids: fresh pids
    for (const proc of t.procs) {
      if (made >= n) break;
      const lines = proc.map((fields) => {
        const f = [...fields];
        for (const k of [PID, PPID, TID, PGID]) {
          if (f[k] !== "") f[k] = String(Number(f[k]) + shift);
        }
        return f;
      });
      const csv = lines.map((f, i) =>
        f.map((v, k) =>
          TEXT.has(h[k]) && i === 0 ? papiexField(v) : v
        ).join(",")
      ).join("\n") + "\n";
      const pid = lines[0][PID];
      if (percsv) {
        await Deno.writeTextFile(
          join(dir, "percsv", `vm-papiex-${pid}-0.csv`),
          headerLine + csv,
        );
      }
      concatBuf += csv;
      const first = lines[0];
      const v = (name: string) =>
        first[col(name)];
      tsvBuf += `{${metrics.map(v).join(",")}}\t` +
        tsvText.map((c) =>
          c === "args" || TEXT.has(c)
            ? v(c).replace(/[\t\n]/g, (x) => x === "\t" ? "\\t" : "\\n")
            : v(c)
        ).join("\t") + "\n";
      for (const f of lines) rowsBuf += f.map(rfcField).join(",") + "\n";
      made++;
      await flush();
    }
  }
  await flush(true);
  concat.close();
  tsv.close();
  rows.close();
  return made;
}

interface Timing {
  seconds: number;
  rssKiB?: number;
}

const hasGnuTime = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile;
  } catch {
    return false;
  }
})();

/** Runs a command, timing its wall clock; GNU time gives its peak RSS. */
async function timed(
  cmd: string[],
  env: Record<string, string> = {},
): Promise<Timing> {
  const statsFile = await Deno.makeTempFile();
  const argv = hasGnuTime
    ? ["/usr/bin/time", "-o", statsFile, "-f", "%M", ...cmd]
    : cmd;
  const t0 = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${cmd.join(" ")} failed:\n${dec.decode(out.stdout)}${
        dec.decode(out.stderr)
      }`,
    );
  }
  const rss = hasGnuTime
    ? Number(Deno.readTextFileSync(statsFile).trim().split("\n").pop())
    : undefined;
  await Deno.remove(statsFile);
  return { seconds, rssKiB: rss };
}

/** Runs `fn` with a fresh scratch database on the test server. */
async function withPgDb<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const db = await createTestDb("epmt_bench");
  try {
    return await fn(db.name);
  } finally {
    await db.drop();
  }
}

async function withSqliteFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-bench-db-" });
  try {
    return await fn(join(dir, "epmt.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Pages the inputs in, so every run reads from the page cache. */
async function warm(dir: string): Promise<void> {
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) await Deno.readFile(join(dir, e.name));
  }
}

function load(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
      " ",
    );
  } catch {
    return "?";
  }
}

/** psql on the test server's database `db`, quiet. */
function psqlArgv(db: string): string[] {
  return [
    "psql",
    "-q",
    "-h",
    PG_HOST,
    "-p",
    String(PG_PORT),
    "-U",
    PG_USER,
    "-d",
    db,
  ];
}

/** The environment of an `epmt submit` into database `db` of the test server. */
function pgSubmitEnv(work: string, db: string): Record<string, string> {
  return {
    HOME: work,
    PATH: Deno.env.get("PATH") ?? "",
    EPMT_DB_PROVIDER: "postgres",
    EPMT_DB_HOST: PG_HOST,
    EPMT_DB_PORT: String(PG_PORT),
    EPMT_DB_USER: PG_USER,
    EPMT_DB_DBNAME: db,
  };
}

/**
 * The least any client can take on PostgreSQL: `psql \\copy` of the very
 * rows epmt stores (dumped from a submit of the concatenated form) into
 * epmt's own processes table, its primary key and month partition in place
 * (emptied before each run, untimed). The baseline loads plainer rows into a
 * bare table; this shows how much of a submit is the server's.
 */
async function serverCopy(work: string, repeat: number): Promise<Timing[]> {
  const rows = join(work, "epmt-rows.copy");
  return await withPgDb(async (name) => {
    const psql = psqlArgv(name);
    await timed(
      [join(ROOT, "epmt"), "submit", join(work, "concat")],
      pgSubmitEnv(work, name),
    );
    await timed([
      ...psql,
      "-c",
      `\\copy (SELECT * FROM processes) TO '${rows}'`,
    ]);
    const ts: Timing[] = [];
    for (let i = 0; i < repeat; i++) {
      await timed([...psql, "-c", "TRUNCATE processes"]);
      ts.push(await timed([...psql, "-c", `\\copy processes FROM '${rows}'`]));
    }
    await Deno.remove(rows);
    return ts;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const o = options();
  console.log(`load average before: ${load()}`);
  const work = await Deno.makeTempDir({ prefix: "epmt-bench-submit-" });
  try {
    const template = await loadTemplate();
    const n = await makeJob(template, o.procs, work, o.forms);
    console.log(
      `job: ${n} processes (scale2k's ${template.procs.length} replicated with fresh pids) in ${work}`,
    );
    const results: string[] = [];
    const line = (what: string, ts: Timing[], rows: number) => {
      const s = ts.map((t) => t.seconds);
      const best = Math.min(...s);
      const rss = ts.map((t) => t.rssKiB ?? 0);
      const text =
        `${what.padEnd(34)} best ${best.toFixed(2)} s  median ${
          median(s).toFixed(2)
        } s  ${
          Math.round(rows / best).toLocaleString("en-US").padStart(9)
        } rows/s` +
        (hasGnuTime
          ? `  peak RSS ${Math.round(Math.max(...rss) / 1024)} MiB`
          : "") +
        `  [${s.map((x) => x.toFixed(2)).join(", ")}]`;
      console.log(text);
      results.push(text);
      return best;
    };

    const base: Record<string, number> = {};
    // The server's own share of a PostgreSQL submit (see serverCopy).
    let serverOwn = 0;
    if (o.baseline) {
      await warm(work);
      if (o.dbs.includes("sqlite")) {
        const ts: Timing[] = [];
        for (let i = 0; i < o.repeat; i++) {
          ts.push(
            await withSqliteFile((file) =>
              timed([
                "sqlite3",
                file,
                `.import --csv ${join(work, "rows.csv")} procs`,
              ])
            ),
          );
        }
        base.sqlite = line("baseline sqlite3 .import", ts, n);
      }
      if (o.dbs.includes("postgres")) {
        const ts: Timing[] = [];
        const h = template.header;
        const TEXT = new Set(["tags", "hostname", "exename", "path", "args"]);
        const ddl = `CREATE TABLE procs (${
          h.map((c) => `"${c}" ${TEXT.has(c) ? "text" : "bigint"}`).join(", ")
        })`;
        for (let i = 0; i < o.repeat; i++) {
          ts.push(
            await withPgDb(async (db) => {
              const psql = psqlArgv(db);
              await timed([...psql, "-c", ddl]);
              return await timed([
                ...psql,
                "-c",
                `\\copy procs from '${join(work, "rows.csv")}' csv header`,
              ]);
            }),
          );
        }
        base.postgres = line("baseline psql \\copy", ts, n);
        if (o.forms.includes("concat")) {
          serverOwn = line(
            "server: epmt's rows, psql \\copy",
            await serverCopy(work, o.repeat),
            n,
          );
        }
      }
    }

    for (const form of o.forms) {
      const dir = join(work, form);
      for (const db of o.dbs) {
        await warm(dir);
        const ts: Timing[] = [];
        for (let i = 0; i < o.repeat; i++) {
          const env = { HOME: work, PATH: Deno.env.get("PATH") ?? "" };
          ts.push(
            db === "sqlite"
              ? await withSqliteFile((file) =>
                timed([join(ROOT, "epmt"), "submit", dir], {
                  ...env,
                  EPMT_DB_PROVIDER: "sqlite",
                  EPMT_DB_FILENAME: file,
                })
              )
              : await withPgDb((name) =>
                timed(
                  [join(ROOT, "epmt"), "submit", dir],
                  pgSubmitEnv(work, name),
                )
              ),
          );
        }
        const best = line(`epmt submit ${form} -> ${db}`, ts, n);
        if (base[db]) {
          console.log(
            `${"".padEnd(34)} = ${(base[db] / best).toFixed(2)}x the raw ${
              db === "sqlite" ? "sqlite3 .import" : "psql \\copy"
            } rate`,
          );
        }
        if (db === "postgres" && serverOwn) {
          console.log(
            `${"".padEnd(34)} = ${
              (serverOwn / best).toFixed(2)
            }x the server's own COPY of these rows`,
          );
        }
      }
    }
    console.log(`load average after: ${load()}`);
  } finally {
    if (o.keep) console.log(`kept the jobs in ${work}`);
    else await Deno.remove(work, { recursive: true });
  }
}

await main();

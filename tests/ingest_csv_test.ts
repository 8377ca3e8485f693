import { assert, assertEquals, assertThrows } from "./assert.ts";
import { FIXTURES } from "./helpers.ts";
import { join } from "node:path";
import {
  PapiexCsvReader,
  splitCsvLine,
  unescapeCsv,
} from "../src/ingest/papiex_csv.ts";
import { ParseError } from "../src/ingest/lines.ts";
import { ProcessTable } from "../src/ingest/process_table.ts";
import { RowWriter } from "../src/ingest/row_writer.ts";
import { tableRows } from "./ingest_helpers.ts";

const PAPIEX = join(FIXTURES, "papiex");

/** Reads CSV files into a fresh table and returns its rows by column name. */
function read(files: string[]): {
  table: ProcessTable;
  rows: Record<string, unknown>[];
} {
  const table = new ProcessTable("job1");
  const reader = new PapiexCsvReader(new RowWriter(table));
  for (const f of files) reader.readFile(f, f);
  table.finish();
  const rows = tableRows(table);
  return { table, rows };
}

async function tempFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  await Deno.writeTextFile(path, text);
  return path;
}

const HEADER = Deno.readTextFileSync(
  join(PAPIEX, "single/vm-papiex-5649-0.csv"),
).split("\n")[0];
const ROW = Deno.readTextFileSync(join(PAPIEX, "single/vm-papiex-5649-0.csv"))
  .split("\n")[1];

Deno.test("unescapeCsv and splitCsvLine undo backslash escaping", async (t) => {
  const cases: [string, string[]][] = [
    ["a,b", ["a", "b"]],
    ["a\\,b,c", ["a,b", "c"]],
    ["x\\\\,y", ["x\\", "y"]],
    ["\\n\\t\\r\\a\\b\\f\\v", ["\n\t\r\x07\b\f\v"]],
    ["keep \\q as is", ["keep \\q as is"]],
    [",,", ["", "", ""]],
    ["trailing\\", ["trailing\\"]],
  ];
  for (const [line, fields] of cases) {
    await t.step(JSON.stringify(line), () => {
      assertEquals(splitCsvLine(line), fields);
    });
  }
  assertEquals(unescapeCsv("a\\,b\\nc"), "a,b\nc");
});

Deno.test("CSV reader: the threads sample folds 5 thread rows into one process", () => {
  const { rows } = read([join(PAPIEX, "threads/vm-papiex-11967-0.csv")]);
  assertEquals(rows.length, 1);
  const p = rows[0];
  assertEquals(
    p.args,
    "-c \nimport threading,time\ndef w():\n    s=0\n    for i in range(2000000): s+=i\nts=[threading.Thread(target=w) for _ in range(4)]\n[t.start() for t in ts]; [t.join() for t in ts]",
  );
  assertEquals(p.numtids, 5);
  assertEquals(p.usertime, 15014 + 71175 + 73989 + 75951 + 79090);
  assertEquals(p.systemtime, 12512 + 4187);
  assertEquals(p.cpu_time, 315219 + 16699);
  assertEquals(p.rssmax, 9640); // the largest, not a sum
  assertEquals(p.starttime, 3167150080000); // the first thread's
  assertEquals(p.start_us, 1795659769356878);
  assertEquals(p.end_us, 1795659769689050);
  assertEquals(p.duration_us, 1795659769689050 - 1795659769356878);
  const threads = JSON.parse(p.threads as string) as number[][];
  assertEquals(threads.length, 5);
  assertEquals(threads.map((t) => t[0]), [11967, 11968, 11969, 11970, 11971]);
  assertEquals(threads[1].slice(0, 4), [
    11968,
    1795659769382140,
    1795659769679679,
    71175,
  ]);
});

Deno.test("CSV reader: a single-threaded process stores no thread array", () => {
  const { rows } = read([join(PAPIEX, "single/vm-papiex-5649-0.csv")]);
  assertEquals(rows[0].threads, null);
  assertEquals(rows[0].exename, "sleep"); // argv[0] /bin/sleep
  assertEquals(rows[0].path, "/usr/bin/sleep");
  assertEquals(rows[0].args, "0.2");
  assertEquals(rows[0].tags, null);
  assertEquals(rows[0].exitsignal, 0);
  assertEquals(rows[0].parent, null);
  assertEquals(rows[0].depth, 0);
});

Deno.test("CSV reader: concatenated processes, repeated headers, tags", async () => {
  const tagged = join(PAPIEX, "tagged");
  const files = [...Deno.readDirSync(tagged)].map((e) => join(tagged, e.name))
    .sort();
  const bodies = files.map((f) => Deno.readTextFileSync(f).split("\n")[1]);
  const threads = Deno.readTextFileSync(
    join(PAPIEX, "threads/vm-papiex-11967-0.csv"),
  );
  // header once, several processes, then a cat-ed file with its own header
  const path = await tempFile(
    [HEADER, ...bodies].join("\n") + "\n" + threads,
  );
  const { rows } = read([path]);
  assertEquals(rows.length, 4);
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  assertEquals(JSON.parse(byPid.get(11976)!.tags as string), {
    op: "ocean",
    op_instance: "2",
  });
  assertEquals(byPid.get(11967)!.numtids, 5);
  await Deno.remove(path);
});

Deno.test("CSV reader: old headers and extra metric columns are read by name", async () => {
  const cols = HEADER.split(",");
  const values = ROW.split(",");
  const keep = cols.map((c, i) => [c, values[i]] as const).filter(([c]) =>
    !["exitsignal", "mpinumranks", "mpirank"].includes(c)
  );
  // reorder: args last, and add two extras at the end
  const rest = keep.filter(([c]) => c !== "args");
  const header = [
    ...rest.map(([c]) => c),
    "args",
    "rdtsc_duration",
    "PERF_COUNT_SW_CPU_CLOCK",
  ];
  const row = [...rest.map(([, v]) => v), "a\\,b", "123", "456"];
  const path = await tempFile(header.join(",") + "\n" + row.join(",") + "\n");
  const { table, rows } = read([path]);
  assertEquals(rows[0].args, "a,b");
  assertEquals(rows[0].exitsignal, null);
  assertEquals(rows[0].mpirank, null);
  assertEquals(rows[0].usertime, 2765);
  assertEquals(JSON.parse(rows[0].extra_metrics as string), {
    rdtsc_duration: 123,
    PERF_COUNT_SW_CPU_CLOCK: 456,
  });
  assertEquals(table.extraNames, ["rdtsc_duration", "PERF_COUNT_SW_CPU_CLOCK"]);
  await Deno.remove(path);
});

Deno.test("CSV reader: bad input names the file and line", async (t) => {
  const fields = ROW.split(",");
  const withField = (name: string, value: string) =>
    fields.map((v, i) => HEADER.split(",")[i] === name ? value : v).join(",");
  const cases: [string, string, RegExp][] = [
    [
      "too few fields",
      HEADER + "\n" + fields.slice(0, -1).join(",") + "\n",
      /:2: expected 46 fields, found 45/,
    ],
    [
      "too many fields",
      HEADER + "\n" + ROW + ",7\n",
      /:2: expected 46 fields, found 47/,
    ],
    [
      "a non-number metric",
      HEADER + "\n" + withField("usertime", "12x") + "\n",
      /:2: column usertime: "12x" is not a number/,
    ],
    [
      "a fraction",
      HEADER + "\n" + withField("rssmax", "1.5") + "\n",
      /:2: column rssmax: 1.5 is not a whole number/,
    ],
    [
      "an empty metric",
      HEADER + "\n" + withField("minflt", "") + "\n",
      /:2: column minflt is empty/,
    ],
    [
      "missing thread rows",
      HEADER + "\n" + withField("numtids", "3") + "\n" + ROW + "\n",
      /:3: the process at line 2 \(pid 5649\) has 1 of its 3 thread rows/,
    ],
    [
      "missing thread rows at the end",
      HEADER + "\n" + withField("numtids", "2") + "\n",
      /:2: the process at line 2 .* has 1 of its 2 thread rows/,
    ],
    [
      "a thread row too many",
      HEADER + "\n" + ROW + "\n" + ",".repeat(14) + "5650,0" +
      ROW.split(",").slice(16).map((v) => "," + v).join("") + "\n",
      /:3: a thread row beyond the 1 declared/,
    ],
    [
      "a thread row first",
      HEADER + "\n" + ",".repeat(14) + "5650,0" +
      ROW.split(",").slice(16).map((v) => "," + v).join("") + "\n",
      /:2: a thread row \(empty pid\) before any process row/,
    ],
    ["no header", "", /:1: empty file: no header line/],
    [
      "a missing column",
      HEADER.replace(",ppid,", ",parent_pid,") + "\n" + ROW + "\n",
      /:1: the header lacks column ppid/,
    ],
    [
      "zero numtids",
      HEADER + "\n" + withField("numtids", "0") + "\n",
      /:2: numtids must be a whole number of at least 1/,
    ],
  ];
  for (const [what, text, message] of cases) {
    await t.step(what, async () => {
      const path = await tempFile(text);
      const e = assertThrows(() => read([path]), ParseError);
      assert(message.test(e.message), `${e.message} !~ ${message}`);
      assert(e.message.startsWith(path + ":"), e.message);
      await Deno.remove(path);
    });
  }
});

Deno.test("CSV reader: a last line without its newline is refused (the file was cut short)", async () => {
  // The cut may fall inside a number: 5649 read as 56 would be wrong data.
  const cut = ROW.slice(0, ROW.lastIndexOf(",") + 2);
  for (
    const text of [HEADER + "\n\n" + ROW, HEADER + "\n" + ROW + "\n" + cut]
  ) {
    const path = await tempFile(text);
    const e = assertThrows(() => read([path]), ParseError);
    const line = text.split("\n").length;
    assertEquals(
      e.message,
      `${path}:${line}: the file ends in the middle of this line (no line end): it was cut short`,
    );
    await Deno.remove(path);
  }
});

Deno.test("CSV reader: blank lines are skipped", async () => {
  const path = await tempFile(HEADER + "\n\n" + ROW + "\n\n");
  const { rows } = read([path]);
  assertEquals(rows.length, 1);
  await Deno.remove(path);
});

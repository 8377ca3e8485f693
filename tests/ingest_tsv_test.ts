import { assert, assertEquals, assertThrows } from "./assert.ts";
import { FIXTURES } from "./helpers.ts";
import { join } from "node:path";
import { PapiexTsvReader } from "../src/ingest/papiex_tsv.ts";
import { ParseError } from "../src/ingest/lines.ts";
import { ProcessTable } from "../src/ingest/process_table.ts";
import { RowWriter } from "../src/ingest/row_writer.ts";
import { tableRows } from "./ingest_helpers.ts";

const DIR = join(FIXTURES, "papiex", "collated");
const HEADER = join(DIR, "vm-papiex-header.tsv");

function read(data: string, header = HEADER): Record<string, unknown>[] {
  const table = new ProcessTable("job1");
  new PapiexTsvReader(new RowWriter(table)).readFile(
    data,
    data,
    header,
    header,
  );
  table.finish();
  const rows = tableRows(table);
  return rows;
}

Deno.test("TSV reader: the collated sample, values by header name", () => {
  const rows = read(join(DIR, "vm-papiex.tsv"));
  assertEquals(rows.length, 3);
  const [sh, ls, cat] = rows; // tree order: sh, then its children
  assertEquals([sh.exename, ls.exename, cat.exename], ["sh", "ls", "cat"]);
  assertEquals(sh.args, "-c true");
  assertEquals(cat.args, "/etc/hostname");
  assertEquals(ls.usertime, 688);
  assertEquals(sh.systemtime, 3076);
  assertEquals(sh.rssmax, 3572);
  assertEquals(sh.time_oncpu, 3076506);
  assertEquals(ls.parent, 0); // ls's ppid 5809 is sh
  assertEquals(ls.depth, 1);
  assertEquals(sh.inclusive_cpu_time, 3076 + 688 + 0);
  assertEquals(ls.threads, null);
  assertEquals(ls.numtids, 1);
});

Deno.test("TSV reader: text is kept exactly as written", async () => {
  const path = await Deno.makeTempFile({ suffix: ".tsv" });
  const line = Deno.readTextFileSync(join(DIR, "vm-papiex.tsv")).split("\n")[1]
    .replace(/\t[^\t]*$/, "\ta\\tb\\\\c d\\,e");
  await Deno.writeTextFile(path, line + "\n");
  assertEquals(read(path)[0].args, "a\\tb\\\\c d\\,e");
  await Deno.remove(path);
});

Deno.test("TSV reader: a process's {...} holds each thread's values in turn", async () => {
  const good = Deno.readTextFileSync(join(DIR, "vm-papiex.tsv")).split("\n")[0];
  const fields = good.split("\t");
  const values = fields[0].slice(1, -1).split(",");
  const second = values.map((v, i) => i === 2 ? "9999" : i === 0 ? "12" : v);
  fields[0] = `{${values.join(",")},${second.join(",")}}`;
  fields[12] = "2"; // numtids
  const path = await Deno.makeTempFile({ suffix: ".tsv" });
  await Deno.writeTextFile(path, fields.join("\t") + "\n");
  const [row] = read(path);
  assertEquals(row.numtids, 2);
  assertEquals(row.usertime, 688 + 12, "summed over threads");
  assertEquals(row.rssmax, 9999, "largest of the threads");
  assertEquals(JSON.parse(row.threads as string).length, 2);
  await Deno.remove(path);
});

Deno.test("TSV reader: bad lines name the file and line", async (t) => {
  const good = Deno.readTextFileSync(join(DIR, "vm-papiex.tsv")).split("\n")[0];
  const cases: [string, string, RegExp][] = [
    ["no braces", good.replace("{", ""), /:2: expected \{metric values\}/],
    [
      "a metric short",
      good.replace("{688,0,", "{688,"),
      /:2: expected 28 metric values/,
    ],
    [
      "a non-number",
      good.replace("{688,", "{6x8,"),
      /:2: field usertime: "6x8" is not a number/,
    ],
    [
      "a metric beyond 2^53 (same rule as CSV and on both databases)",
      good.replace("{688,", "{12345678901234567890123456,"),
      /:2: field usertime: 12345678901234567890123456 is out of range \(its magnitude is at most 9007199254740991\)/,
    ],
    [
      "a negative metric beyond 2^53",
      good.replace("{688,", "{-9007199254740993,"),
      /:2: field usertime: -9007199254740993 is out of range/,
    ],
    [
      "a field short",
      good.split("\t").slice(0, -2).join("\t"),
      /:2: expected 15 tab-separated fields after \{...\}, found 13/,
    ],
    [
      "two threads' values but numtids 1",
      good.replace(/^\{([^}]*)\}/, "{$1,$1}"),
      /:2: numtids is 1 but \{...\} holds the values of 2 threads/,
    ],
  ];
  for (const [what, bad, message] of cases) {
    await t.step(what, async () => {
      const path = await Deno.makeTempFile({ suffix: ".tsv" });
      await Deno.writeTextFile(path, good + "\n" + bad + "\n");
      const e = assertThrows(() => read(path), ParseError);
      assert(message.test(e.message), `${e.message} !~ ${message}`);
      await Deno.remove(path);
    });
  }
});

/**
 * Many processes ending at the same moment: appends to the shared files
 * never interleave or get lost, and the header is written once.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  BUILD,
  names,
  parseCsv,
  processes,
  readCsvs,
  run,
  scratch,
} from "./native_helpers.ts";
import { join } from "node:path";

const HOST = Deno.hostname();
// Rows longer than a pipe's atomic write, full of characters to escape.
const LONG = "x,y\\z ".repeat(700);

Deno.test("2,000 processes append to one COLLATED_CSV file at once: every row, none torn", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/swarm`, "2000", LONG], {
    options: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
    out,
  });
  assertEquals(r.code, 0, "every child exited as it should");
  const files = await names(out);
  assertEquals(files, [
    `${HOST}-collated-papiex-${out.split("/").at(-1)}-0.csv`,
  ]);
  const text = await Deno.readTextFile(join(out, files[0]));
  assertEquals(text.split("\n").filter((l) => l.startsWith("tags,")).length, 1);
  // parseCsv throws on a row with the wrong number of fields.
  const procs = processes(parseCsv(text));
  assertEquals(procs.length, 2001);
  assertEquals(new Set(procs.map((p) => p.row.pid)).size, 2001);
  const parent = procs.find((p) => p.row.ppid === String(Deno.pid))!;
  const codes = new Map<string, number>();
  for (const p of procs) {
    assertEquals(p.row.args, `2000 ${LONG}`);
    assertEquals(p.row.numtids, "1");
    if (p === parent) continue;
    assertEquals(p.row.ppid, parent.row.pid);
    codes.set(p.row.exitcode, (codes.get(p.row.exitcode) ?? 0) + 1);
  }
  assertEquals(codes.size, 100);
  assert([...codes.values()].every((c) => c === 20), "exit i % 100");
  await Deno.remove(out, { recursive: true });
});

Deno.test("COLLATED_TSV under the same load: one line per process, header once", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/swarm`, "500", LONG], {
    options: "COLLATED_TSV",
    out,
  });
  assertEquals(r.code, 0);
  assertEquals(await names(out), [
    `${HOST}-papiex-header.tsv`,
    `${HOST}-papiex.tsv`,
  ]);
  const lines = (await Deno.readTextFile(join(out, `${HOST}-papiex.tsv`)))
    .split("\n");
  assertEquals(lines.pop(), "");
  assertEquals(lines.length, 501);
  for (const l of lines) {
    const f = l.split("\t");
    assertEquals(f.length, 16);
    assertEquals(f[15], `500 ${LONG}`);
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("file per process under the same load: one complete file each", async () => {
  const out = await scratch();
  const r = await run([`${BUILD}/swarm`, "300"], {
    options: "PERF_COUNT_SW_CPU_CLOCK",
    out,
  });
  assertEquals(r.code, 0);
  const csvs = await readCsvs(out);
  assertEquals(csvs.size, 301);
  assertEquals((await names(out)).length, 301, "no temporary files left");
  for (const [name, csv] of csvs) {
    assertEquals(csv.rows.length, 1);
    assertEquals(name, `${HOST}-papiex-${csv.rows[0].pid}-0.csv`);
  }
  await Deno.remove(out, { recursive: true });
});

import { assertEquals } from "./assert.ts";
import { PackedRows } from "../src/ingest/packed_rows.ts";

Deno.test("PackedRows gives back every row exactly, across chunks", () => {
  const width = 6;
  const rows = new PackedRows(width, [4, 5]);
  const make = (i: number) =>
    Float64Array.from([
      i,
      i % 3 === 0 ? NaN : -i * 7919,
      0,
      i % 2 ? 2 ** 60 + i * 4096 : i % 4 ? 0.5 + i : -(2 ** 52) - i, // raw
      1795659616915099 + i * 1000, // µs since the epoch (delta)
      i % 5 === 0 ? NaN : 1795659616915099 - i, // delta, below the base
    ]);
  const n = 200_000; // several 1 MiB chunks
  for (let i = 0; i < n; i++) rows.append(make(i));
  assertEquals(rows.length, n);
  const out = new Float64Array(width);
  for (const i of [0, 1, 2, 3, 5, 127, 128, 16383, 16384, 99_999, n - 1]) {
    rows.read(i, out);
    assertEquals([...out], [...make(i)], `row ${i}`);
  }
  // Much smaller than Float64 rows.
  const plain = n * width * 8;
  if (rows.bytes > plain) throw new Error(`${rows.bytes} > ${plain}`);
});

Deno.test("PackedRows: whole numbers at every varint and small-integer boundary", () => {
  const edges: number[] = [];
  for (let b = 0; b <= 50; b++) {
    for (const d of [-1, 0, 1]) {
      const v = 2 ** b + d;
      if (v < 2 ** 50) edges.push(v, v === 0 ? 0 : -v);
    }
  }
  edges.push(0x7fffffff, 0x80000000, 0xffffffff, 2 ** 50 - 1, -(2 ** 50) + 1);
  const rows = new PackedRows(1, []);
  for (const v of edges) rows.append(Float64Array.of(v));
  const out = new Float64Array(1);
  edges.forEach((v, i) => {
    rows.read(i, out);
    assertEquals(out[0], v, `value ${v}`);
  });
});

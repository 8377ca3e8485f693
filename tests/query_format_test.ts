import { assertEquals } from "./assert.ts";
import {
  humanBytes,
  humanCount,
  humanDuration,
  humanRatio,
  isoTime,
  shorten,
  tagsText,
} from "../src/query/format.ts";
import {
  csvField,
  csvLine,
  renderFields,
  renderTable,
} from "../src/query/table.ts";
import { exitText } from "../src/query/status.ts";

Deno.test("humanDuration() picks a unit a person reads", async (t) => {
  const cases: [number | null, string][] = [
    [null, "-"],
    [0, "0 µs"],
    [850, "850 µs"],
    [1_000, "1.00 ms"],
    [12_345, "12.3 ms"],
    [999_600, "1.00 s"],
    [1_500_000, "1.50 s"],
    [59_990_000, "1m00s"],
    [754_000_000, "12m34s"],
    [3 * 3600e6 + 4 * 60e6, "3h04m"],
    [2 * 86400e6 + 5 * 3600e6, "2d05h"],
    [-1_500_000, "-1.50 s"],
  ];
  for (const [us, want] of cases) {
    await t.step(
      `${us} µs -> ${want}`,
      () => assertEquals(humanDuration(us), want),
    );
  }
});

Deno.test("humanBytes() uses binary prefixes", async (t) => {
  const cases: [number | null, string][] = [
    [null, "-"],
    [0, "0 B"],
    [512, "512 B"],
    [1536, "1.50 KiB"],
    [20 * 1024 * 1024, "20.0 MiB"],
    [1024 * 1024 - 1, "1.00 MiB"],
    [5 * 1024 ** 3, "5.00 GiB"],
  ];
  for (const [b, want] of cases) {
    await t.step(`${b} -> ${want}`, () => assertEquals(humanBytes(b), want));
  }
});

Deno.test("counts, ratios, times, tags", () => {
  assertEquals(humanCount(200000), "200,000");
  assertEquals(humanCount(999), "999");
  assertEquals(humanCount(-1234567), "-1,234,567");
  assertEquals(humanRatio(2.5), "2.50");
  assertEquals(humanRatio(1 / 0), "inf");
  assertEquals(humanRatio(NaN), "-");
  assertEquals(humanRatio(0.0456), "0.0456");
  assertEquals(isoTime(1_500_000), "1970-01-01T00:00:01.500000Z");
  assertEquals(isoTime(null), null);
  assertEquals(
    tagsText({ op: "ocean", op_instance: "2" }),
    "op:ocean;op_instance:2",
  );
  assertEquals(tagsText(null), "");
});

Deno.test("shorten() keeps both ends and one line", () => {
  assertEquals(shorten("short", 10), "short");
  assertEquals(shorten("a very long argument list", 12), "a very …list");
  assertEquals(shorten("a very long argument list", 12).length, 12);
  assertEquals(shorten("-c x\ny", 20), "-c x\\ny");
  assertEquals(shorten(null, 5), "");
});

Deno.test("renderTable() aligns numbers right and text left", () => {
  const out = renderTable(
    [{ title: "JOB" }, { title: "CPU", align: "right" }, { title: "NOTE" }],
    [["a", "1.2 s", ""], ["bbbbbb", "12 ms", "x"]],
  );
  assertEquals(out, "JOB       CPU  NOTE\na       1.2 s\nbbbbbb  12 ms  x");
  assertEquals(
    renderFields([["Job", "42"], ["User", "alice"]]),
    "Job:   42\nUser:  alice",
  );
});

Deno.test("CSV fields follow RFC 4180", () => {
  assertEquals(csvField('a,"b"'), '"a,""b"""');
  assertEquals(csvField("line\nbreak"), '"line\nbreak"');
  assertEquals(csvField(null), "");
  assertEquals(csvField({ a: 1 }), '"{""a"":1}"');
  assertEquals(csvLine(["a", 1, null, "x\\y"]), "a,1,,x\\y");
});

Deno.test("exitText() names signals", () => {
  assertEquals(exitText(0, 0), "0");
  assertEquals(exitText(3, null), "3");
  assertEquals(exitText(0, 1), "signal");
  assertEquals(exitText(0, 15), "SIGTERM");
  assertEquals(exitText(null, null), "-");
});

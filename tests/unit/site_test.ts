/**
 * The pure parts of site operations, in-process: retire's cutoffs and date
 * parsing, month partitions' names and bounds, and the commands' usage
 * errors and help.
 */
import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { cutoffFromDays, parseDate } from "../../src/site/mod.ts";
import { monthOf } from "../../src/db/mod.ts";
import { UsageError } from "../../src/errors.ts";
import { epmtIn } from "./cli.ts";

Deno.test("site: cutoffs, dates and month partitions", async (t) => {
  await t.step("--days N is N x 24 h before now", () => {
    assertEquals(cutoffFromDays(2, 10 * 86_400_000_000), 8 * 86_400_000_000);
  });
  await t.step("--before: a day (UTC) or an ISO time with a zone", () => {
    assertEquals(parseDate("2026-01-01", "x"), Date.UTC(2026, 0, 1) * 1000);
    assertEquals(
      parseDate("2026-01-01T06:30:00+02:00", "x"),
      Date.UTC(2026, 0, 1, 4, 30) * 1000,
    );
    for (const bad of ["yesterday", "2026-13-45", "2026-01-01T00:00:00", ""]) {
      assertThrows(() => parseDate(bad, "retire --before"), UsageError);
    }
  });
  await t.step("a month's partition: name and bounds in UTC", () => {
    assertEquals(monthOf(Date.UTC(2026, 10, 30, 23, 59) * 1000), {
      name: "processes_y2026m11",
      fromUs: Date.UTC(2026, 10, 1) * 1000,
      toUs: Date.UTC(2026, 11, 1) * 1000,
    });
    assertEquals(
      monthOf(Date.UTC(2026, 11, 31, 12) * 1000).toUs,
      Date.UTC(2027, 0, 1) * 1000,
    );
    assertEquals(monthOf(null).name, "processes_y1970m01");
  });
});

Deno.test("site commands: help and usage errors", async (t) => {
  for (const name of ["retire", "dbsize", "daemon"]) {
    await t.step(`${name} -h`, async () => {
      const r = await epmtIn([name, "-h"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, new RegExp(`^usage: epmt ${name} `));
    });
  }
  await t.step("daemon --interval 0", async () => {
    const r = await epmtIn(["daemon", "--ingest", "/tmp", "--interval", "0"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /--interval wants a number of seconds > 0/);
  });
  await t.step("retire --dayz: did you mean", async () => {
    const r = await epmtIn(["retire", "--dayz", "3"]);
    assertEquals(r.code, 2);
    assertMatch(r.stderr, /unknown option --dayz.*--days/);
  });
});

/**
 * `epmt dbsize` on real SQLite and PostgreSQL: row counts are the tables'
 * own, bytes grow with what is stored and add up to no more than the total.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { generatedJob, jsonOf, ok, withBothDbs } from "./query_helpers.ts";

interface Size {
  provider: string;
  method: string;
  tables: {
    table: string;
    rows: number;
    bytes: number;
    rows_estimated: boolean;
  }[];
  total_bytes: number;
}

function table(s: Size, name: string) {
  const t = s.tables.find((t) => t.table === name);
  assert(t, `${name} in ${JSON.stringify(s.tables)}`);
  return t;
}

Deno.test("dbsize: rows and bytes per table, and the total", async (t) => {
  await withBothDbs(t, async (env, dir, s) => {
    const kids = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => ({ exe: "cp", args: `a${i}`, cpu: 10 }),
      );
    await generatedJob(
      dir,
      "small",
      { exe: "bash", cpu: 5, kids: kids(3) },
      1e6,
    );
    await ok(["submit", `${dir}/small`], env);
    const before = await jsonOf<Size>(["dbsize"], env);
    assertEquals(table(before, "jobs").rows, 1);
    assertEquals(table(before, "processes").rows, 4);
    assertEquals(table(before, "users").rows, 1);
    await generatedJob(
      dir,
      "big",
      { exe: "bash", cpu: 5, kids: kids(1500) },
      1e6,
    );
    await ok(["submit", `${dir}/big`], env);
    const after = await jsonOf<Size>(["dbsize"], env);
    assertEquals(table(after, "processes").rows, 1505);
    assertEquals(table(after, "processes").rows_estimated, false);
    assert(
      table(after, "processes").bytes > table(before, "processes").bytes,
      "processes grew on disk",
    );
    assertEquals(after.tables[0].table, "processes", "largest first");
    const sum = after.tables.reduce((a, t) => a + t.bytes, 0);
    assert(sum <= after.total_bytes, `${sum} <= ${after.total_bytes}`);
    assertEquals(
      after.method,
      after.provider === "sqlite" ? "dbstat" : "pg_total_relation_size",
    );
    await s.step("text: aligned, with units and the total", async () => {
      const r = await ok(["dbsize"], env);
      assertMatch(r.stdout, /TABLE\s+ROWS\s+ON DISK/);
      assertMatch(
        r.stdout,
        /\nprocesses\S*( \(\d+ partitions?\))?\s+1,505\s+[\d.]+ [KM]iB\n/,
      );
      assertMatch(r.stdout, /\ntotal\s+[\d.]+ [KMG]iB/);
    });
  });
});

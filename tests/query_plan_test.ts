/**
 * The queries that must stay fast on big databases read index ranges,
 * never a whole table: EXPLAIN on SQLite and PostgreSQL (there with
 * sequential scans disabled, so the plan shows whether an index can serve
 * the query at all, whatever the table's size).
 */
import { assert } from "./assert.ts";
import { fixtureJob, ok, withBothDbs } from "./query_helpers.ts";
import { openStore, type SqlValue } from "../src/db/mod.ts";
import { loadSettings } from "../src/settings/mod.ts";
import {
  listJobsSql,
  PROCESS_PAGE_SQL,
  TREE_SQL,
  TREE_TO_DEPTH_SQL,
} from "../src/query/sql.ts";

Deno.test("query plans use indexes", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    await ok(["submit", await fixtureJob(dir, "p-tree", "tree")], env);
    const store = await openStore(loadSettings(env).settings);
    try {
      const pg = store.provider === "postgres";
      if (pg) await store.execute("SET enable_seqscan = off");
      const list = listJobsSql(store.provider, {}, 20, 0);
      const user = listJobsSql(store.provider, { user: "alice" }, 20, 0);
      const queries: [string, string, SqlValue[]][] = [
        ["list", list.sql, list.params],
        ["list --user", user.sql, user.params],
        ["show --tree", TREE_SQL, ["p-tree"]],
        ["show --tree --depth", TREE_TO_DEPTH_SQL, ["p-tree", 1]],
        ["export page", PROCESS_PAGE_SQL, ["p-tree", 0]],
      ];
      for (const [name, sql, params] of queries) {
        const rows = await store.query(
          (pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql,
          params,
        );
        const plan = rows.map((r) => String(r.detail ?? r["QUERY PLAN"]))
          .join("\n");
        assert(
          !/\bSCAN (jobs|processes)\b(?! USING)|Seq Scan/.test(plan),
          `${name} scans a whole table:\n${plan}`,
        );
        assert(/INDEX|Index/.test(plan), `${name} uses no index:\n${plan}`);
      }
    } finally {
      await store.close();
    }
  });
});

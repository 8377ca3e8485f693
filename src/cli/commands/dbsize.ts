import type { Context } from "../context.ts";
import { defineCommand } from "../options.ts";
import { print } from "../../io.ts";

/** The table of `epmt dbsize`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "dbsize",
  summary: "rows and bytes on disk per table, and the database total",
  synopsis: ["[--json]"],
  description:
    `Prints, for every table of the database, its rows and its bytes on disk
(indexes included), largest first, and the size of the whole database. On
SQLite bytes come from the dbstat table and the total is the file's pages
(with those free for reuse); on PostgreSQL from pg_total_relation_size
(a partitioned table: the sum of its partitions) and pg_database_size.
PostgreSQL tables of a million rows or more show the planner's estimate
(~) instead of a count, which would read the whole table.`,
  options: [
    {
      long: "json",
      type: "flag",
      help: "raw values for scripts (bytes, counts)",
    },
  ],
});

/** `epmt dbsize`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts } = ctx.parse(command, args);
  const site = await import("../../site/mod.ts");
  const { withStore } = await import("../../query/mod.ts");
  const size = await withStore(ctx.settings, (store) => site.dbSize(store));
  print(opts.json ? site.dbSizeJson(size) : site.dbSizeText(size));
  return 0;
}

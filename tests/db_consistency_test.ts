/**
 * The same job submitted to SQLite and to PostgreSQL reads back the same
 * through every command's script output: PostgreSQL's jsonb reorders
 * object keys, so JSON columns are given with their keys sorted on both.
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";
import { createTestDb } from "./pg.ts";
import { fixtureJob } from "./query_helpers.ts";

Deno.test("SQLite and PostgreSQL give the same output for the same job", async () => {
  const box = await sandbox();
  const pg = await createTestDb();
  try {
    const job = await fixtureJob(box.dir, "900", "tagged", {
      // Keys neither sorted nor in jsonb's order (shorter first).
      job_tags: { zeta: "1", exp_name: "CM4", a: "2" },
      job_pl_env: { PATH: "/bin", HOME: "/h", LANG: "C", ZZ_LONG_NAME: "x" },
    });
    const sqlite = box.env;
    const postgres = { ...box.env, ...pg.env };
    const commands = [
      ["export", "900", "--format", "json"],
      ["export", "900", "--format", "csv"],
      ["export", "900", "--what", "procs", "--format", "csv"],
      ["list", "--json"],
      ["list", "--csv"],
      ["show", "--json", "900"],
      ["ops", "--json", "900"],
      ["ops", "900"],
      ["show", "--critical", "--json", "900"],
      ["annotate", "900", "--json"],
      ["annotate", "900"],
    ];
    const outputs: Record<string, string>[] = [];
    for (const env of [sqlite, postgres]) {
      const r = await epmt(["submit", job], { env });
      assertEquals(r.code, 0, r.stderr);
      for (const [kv] of [["ticket=7"], ["reason=rerun"], ["b=x"]]) {
        const a = await epmt(["annotate", "900", kv], { env });
        assertEquals(a.code, 0, a.stderr);
      }
      const out: Record<string, string> = {};
      for (const args of commands) {
        const c = await epmt(args, { env });
        assertEquals(c.code, 0, c.stderr);
        // When each was loaded (and analysed) is the one thing that differs.
        out[args.join(" ")] = c.stdout
          .replace(/"loaded_us": ?\d+/g, '"loaded_us":0')
          .replace(/"analyzed_us": ?\d+/g, '"analyzed_us":0')
          .replace(/,\d{16}$/gm, ",LOADED");
      }
      outputs.push(out);
    }
    for (const args of commands) {
      const key = args.join(" ");
      assertEquals(outputs[1][key], outputs[0][key], key);
    }
    const [exported] = JSON.parse(outputs[0]["export 900 --format json"]);
    assertEquals(Object.keys(exported.tags), ["a", "exp_name", "zeta"]);
    assertEquals(Object.keys(exported.annotations), ["b", "reason", "ticket"]);
  } finally {
    await pg.drop();
    await Deno.remove(join(box.dir), { recursive: true });
  }
});

/** help names EPMT_* variables that set nothing, so a typo shows. */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";

Deno.test("help lists EPMT_* variables that are not settings", async () => {
  const box = await sandbox();
  const r = await epmt(["help"], {
    env: {
      ...box.env,
      EPMT_DB_HOSTNAME: "db.example.org",
      EPMT_PAPIEX_OUPUT: "/scratch/",
      EPMT_JOB_TAGS: "exp_name:x",
    },
  });
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(
    r.stdout,
    "\nnot settings, ignored (a typo?): EPMT_DB_HOSTNAME EPMT_PAPIEX_OUPUT\n",
  );
  await Deno.remove(box.dir, { recursive: true });
});

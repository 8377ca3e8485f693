import { assert, assertEquals, assertMatch } from "./assert.ts";
import { ROOT, runCmd } from "./helpers.ts";
import { join } from "node:path";

Deno.test("build: a compiled file that is not epmt is refused and removed", async () => {
  // DENORT_BIN pointing at a full deno makes `deno compile` "succeed" with
  // a plain deno that ignores the program: the build must notice.
  const out = await Deno.makeTempDir({ prefix: "epmt-build-test-" });
  try {
    const r = await runCmd(Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      join(ROOT, "scripts", "build.ts"),
      "--out",
      out,
      "--no-tar",
    ], { env: { DENORT_BIN: Deno.execPath() } });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(
      r.stdout,
      /^build: deno compile: the result does not run epmt \(.*--version printed "deno \d+\.\d+\.\d+.*", not "epmt [^"]+" \(exit 0\)\); removed it, going on with the portable bundle$/m,
    );
    const left = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name);
    assertEquals(left.length, 1, `only the bundle is left: ${left}`);
    assertMatch(left[0], /^epmt-.*-linux-x86_64$/);
    assert(!r.stdout.includes("build: binary"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

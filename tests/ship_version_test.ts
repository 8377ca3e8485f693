import { assertEquals, assertMatch } from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";
import { VERSION } from "../src/version.ts";
import { join } from "node:path";

/** A file that carries the collector's version marker among other bytes. */
async function fakeLib(path: string, version: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const bytes = new Uint8Array([
    0x7f,
    ...new TextEncoder().encode(`ELF\0junk\0EPMT_COLLECTOR_VERSION=${version}`),
    0,
    0xff,
  ]);
  await Deno.writeFile(path, bytes);
}

Deno.test("--version names epmt, the collector run would use, and Deno", async (t) => {
  const box = await sandbox();
  const prefix = join(box.dir, "prefix");
  const env = { ...box.env, EPMT_INSTALL_PREFIX: prefix };

  await t.step("no collector: says where it looked", async () => {
    const r = await epmt(["--version"], { env });
    assertEquals(r.code, 0);
    const lines = r.stdout.trimEnd().split("\n");
    assertEquals(lines[0], `epmt ${VERSION}`);
    assertEquals(
      lines[1],
      `collector not found (looked for ${prefix}/lib/libepmt.so, ` +
        `${prefix}/native/libepmt.so)`,
    );
    assertMatch(lines[2], /^deno \d+\.\d+\.\d+/);
  });

  await t.step("a real papiex install under install_prefix", async () => {
    const papiex = join(box.dir, "papiex");
    await Deno.mkdir(join(papiex, "lib"), { recursive: true });
    for (const lib of ["libpapiex.so", "libmonitor.so"]) {
      await Deno.writeTextFile(join(papiex, "lib", lib), "");
    }
    const r = await epmt(["--version"], {
      env: { ...env, EPMT_INSTALL_PREFIX: papiex },
    });
    assertEquals(
      r.stdout.split("\n")[1],
      `collector papiex ${papiex}/lib/libpapiex.so:${papiex}/lib/libmonitor.so`,
    );
  });

  await t.step("native/ (a checkout) is used when lib/ has none", async () => {
    await fakeLib(join(prefix, "native", "libepmt.so"), "1.2.3");
    const r = await epmt(["-V"], { env });
    assertEquals(
      r.stdout.split("\n")[1],
      `collector 1.2.3 ${prefix}/native/libepmt.so`,
    );
  });

  await t.step("lib/ (an installation) comes first", async () => {
    await fakeLib(join(prefix, "lib", "libepmt.so"), "9.8.7-rc1");
    const r = await epmt(["--version"], { env });
    assertEquals(
      r.stdout.split("\n")[1],
      `collector 9.8.7-rc1 ${prefix}/lib/libepmt.so`,
    );
  });

  await t.step("a library without the marker is named as such", async () => {
    await Deno.writeTextFile(join(prefix, "lib", "libepmt.so"), "no marker");
    const r = await epmt(["--version"], { env });
    assertEquals(
      r.stdout.split("\n")[1],
      `collector (no version marker) ${prefix}/lib/libepmt.so`,
    );
  });

  await t.step("a broken settings file does not hide the version", async () => {
    const file = join(box.dir, "bad.json");
    await Deno.writeTextFile(file, "{ not json");
    const r = await epmt(["--version"], {
      env: { ...env, EPMT_SETTINGS: file },
    });
    assertEquals(r.code, 0);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], `epmt ${VERSION}`);
    assertMatch(lines[1], /^collector unknown \(settings file .*bad\.json/);
  });

  await Deno.remove(box.dir, { recursive: true });
});

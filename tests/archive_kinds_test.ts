/**
 * Files named like archives that are something else: dump and submit say
 * what the file is, instead of calling it truncated or corrupt.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assertEquals } from "./assert.ts";
import { epmt, sandbox } from "./helpers.ts";

const enc = new TextEncoder();

Deno.test("dump and submit name what a file that is not an archive is", async (t) => {
  const box = await sandbox();
  const hex = (s: string) =>
    Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
  const cases: [string, Uint8Array, string][] = [
    [
      "x.tgz",
      enc.encode("hello\n"),
      'is not a gzip or tar archive: it begins with text "hello"',
    ],
    [
      "notes.tar",
      enc.encode("job 4711 ran fine\n".repeat(60)),
      'is not a gzip or tar archive: it begins with text "job 4711 ran fine…"',
    ],
    [
      "x.tar.gz",
      enc.encode("BZh91AY&SY" + "\0".repeat(40)),
      "is not a gzip or tar archive: it is bzip2-compressed (epmt reads .tgz, .tar.gz and .tar)",
    ],
    [
      "y.tgz",
      hex("fd377a585a000004e6d6b446"),
      "is not a gzip or tar archive: it is xz-compressed (epmt reads .tgz, .tar.gz and .tar)",
    ],
    [
      "z.tgz",
      new Uint8Array(gzipSync(enc.encode("just text, no tar\n"))),
      'is gzip-compressed but not a tar archive: it begins with text "just text, no tar"',
    ],
    [
      "bin.tar",
      hex("7f454c46020101000000000000000000"),
      "is not a gzip or tar archive: it begins with bytes 7f 45 4c 46 02 01 01 00",
    ],
  ];
  for (const [name, data, what] of cases) {
    await t.step(name, async () => {
      const file = join(box.dir, name);
      await Deno.writeFile(file, data);
      const line = `ERROR:epmt: archive ${file} ${what}\n`;
      const dump = await epmt(["dump", file], { env: box.env });
      assertEquals([dump.code, dump.stderr], [1, line]);
      const submit = await epmt(["submit", file], { env: box.env });
      assertEquals([submit.code, submit.stderr], [1, line]);
      assertEquals(submit.stdout, `FAILED ${file}: archive ${file} ${what}\n`);
      assertEquals(await Deno.readFile(file), data, "the file is untouched");
    });
  }
  await Deno.remove(box.dir, { recursive: true });
});

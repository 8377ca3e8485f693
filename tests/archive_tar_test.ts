import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "./assert.ts";
import { exists, FIXTURES } from "./helpers.ts";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { UserError } from "../src/errors.ts";
import {
  createArchive,
  extractArchive,
  isArchivePath,
  listArchive,
  readArchiveMember,
} from "../src/archive/mod.ts";
import { BLOCK, makeHeader, paxRecord } from "./tar_bytes.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const enc = new TextEncoder();

/** A tar built by hand, so hostile members can be written. */
function tar(
  members: { name: string; type?: string; body?: string | Uint8Array }[],
  end = true,
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    const body = typeof m.body === "string" ? enc.encode(m.body) : m.body ??
      new Uint8Array(0);
    parts.push(makeHeader({
      name: m.name,
      type: m.type ?? "0",
      size: body.length,
      mode: 0o644,
      mtime: 1700000000,
    }));
    parts.push(body);
    parts.push(new Uint8Array((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  if (end) parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function scratch(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "epmt-archive-test-" });
}

Deno.test("createArchive() output reads back identically", async () => {
  const dir = await scratch();
  const src = join(dir, "job");
  await Deno.mkdir(src);
  const big = new Uint8Array(3 * 1024 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  const files: Record<string, Uint8Array> = {
    job_metadata: enc.encode('{"format_version":1}\n'),
    "vm-papiex-1-0.csv": enc.encode("a,b\n1,2\n"),
    empty: new Uint8Array(0),
    ["long-" + "x".repeat(140) + ".csv"]: enc.encode("long name"),
    "déjà-vu.csv": enc.encode("utf-8 name"),
    big,
  };
  for (const [name, data] of Object.entries(files)) {
    await Deno.writeFile(join(src, name), data);
  }
  const out = join(dir, "42.tgz");
  const written = await createArchive(out, src, Object.keys(files));
  assertEquals(written.map((m) => m.path), Object.keys(files));
  assertEquals(await listArchive(out), written);
  const dest = join(dir, "dest");
  await Deno.mkdir(dest);
  assertEquals(await extractArchive(out, dest), written);
  for (const [name, data] of Object.entries(files)) {
    assertEquals(await Deno.readFile(join(dest, name)), data, name);
  }
  assertEquals(
    await readArchiveMember(out, "./job_metadata"),
    files.job_metadata,
  );
  assertEquals(await readArchiveMember(out, "nope"), undefined);
  assertEquals(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["42.tgz", "dest", "job"],
    "no temporary file left behind",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("createArchive() leaves nothing when a file is missing", async () => {
  const dir = await scratch();
  const out = join(dir, "1.tgz");
  const e = await assertRejects(
    () => createArchive(out, dir, ["not-there"]),
    UserError,
  );
  assertStringIncludes(e.message, "not-there");
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("archives written by others are read", async (t) => {
  await t.step("the Python EPMT's staged job (GNU tar)", async () => {
    const archive = join(FIXTURES, "epmt-python/2718281.tgz");
    const members = await listArchive(archive);
    assertEquals(members.length, 10);
    assertEquals(members[0].path, "job_metadata");
    const meta = await readArchiveMember(archive, "job_metadata");
    assertEquals(
      meta,
      await Deno.readFile(
        join(FIXTURES, "epmt-python/2718281-p4/job_metadata"),
      ),
    );
  });
  // Python's tarfile with GNU long names and with pax headers.
  const long = "d".repeat(120) + "-papiex-1-0.csv";
  for (
    const [name, data] of [
      [
        "GNU long names",
        "H4sIACw9CWsC/+3XQQ6CMBAF0B6lF6C0pditB+AOpgoxYAQiaEiMd3HrObiYxYVRYsJGaoT/Nk27ayZ/JsP8rFiv9kltYlMbMgpuLZR6nFb/tCQRKpRKa666d8FVIAjlxIFjVZsDpWSmzhcCM8Z85i+jIt9Gab4j4+X/Q+6f+ZdCvvSC7l3rkBMaIf8O6h//iFeaMk0aT3icbaoTojjZ+g/MfyG1ep//gZBSYv670AD8KXTvr/T/9pa11zFH8PD+J/r7n72g/zv5PiIAAAAAAAAAAAAAADA5d4SRhysAKAAA",
      ],
      [
        "pax headers",
        "H4sIACw9CWsC/+3YMQrCMBQG4Myeohdomvf6NJPo6OgNJNqCFsSiVQriXVw9hxez7SAqglMq2v9bAl3SEv68n+oo28xn67RwiSuc8sJUBiLNWnldK6xI+izWGqmfkxFLKjCqBftd4bbVq6huOp4UdJiOdDSeunKSuiTd+sv/m9zf888cP9wFTf6ZWAUl8u8diQ1yVyyHOkq+JMxdvkrLkEKjF7tDD6FsNf/+D/jD/Ce28jz/Y+IBY/63oQT4Ubi9/6P/Ge6j/30J073+XS/Z9YwG1rn+N8pG9an72+Pz/x967n/GisTof618PiIAAAAAAAAAAADwt25AM4hgACgAAA==",
      ],
    ]
  ) {
    await t.step(name, async () => {
      const dir = await scratch();
      const archive = join(dir, "x.tar.gz");
      await Deno.writeFile(archive, b64(data));
      const dest = join(dir, "dest");
      await Deno.mkdir(dest);
      const members = await extractArchive(archive, dest);
      assertEquals(members.map((m) => [m.path, m.size]), [
        ["job_metadata", 2],
        [long, 700],
        ["déjà.csv", 1],
      ]);
      assertEquals(await Deno.readTextFile(join(dest, long)), "x".repeat(700));
      await Deno.remove(dir, { recursive: true });
    });
  }
  await t.step("an uncompressed .tar", async () => {
    const dir = await scratch();
    const archive = join(dir, "x.tar");
    await Deno.writeFile(
      archive,
      tar([{ name: "./", type: "5" }, { name: "./job_metadata", body: "{}" }]),
    );
    assertEquals(
      new TextDecoder().decode(
        await readArchiveMember(archive, "job_metadata"),
      ),
      "{}",
    );
    await Deno.remove(dir, { recursive: true });
  });
});

Deno.test("extractArchive() refuses hostile and damaged archives", async (t) => {
  const dir = await scratch();
  const good = tar([
    { name: "./job_metadata", body: "{}" },
    { name: "./vm-papiex-1-0.csv", body: "x".repeat(2000) },
  ]);
  const gz = (b: Uint8Array) => new Uint8Array(gzipSync(b));
  const pax = (path: string) => {
    const rec = paxRecord("path", path);
    return tar([
      { name: "./PaxHeader", type: "x", body: rec },
      { name: "./innocent", body: "pwned" },
    ]);
  };
  const corruptHeader = good.slice();
  corruptHeader[10] ^= 0x55;
  const gzGood = gz(good);
  const gzFlipped = gzGood.slice();
  gzFlipped[gzFlipped.length - 6] ^= 0xff; // inside the CRC/length trailer
  const cases: [string, Uint8Array, string][] = [
    [
      "absolute path",
      gz(tar([{ name: "/tmp/evil", body: "x" }])),
      "member /tmp/evil: absolute path: refused",
    ],
    [
      "dot-dot",
      gz(tar([{ name: "./../../evil", body: "x" }])),
      "member ./../../evil: path contains ..: refused",
    ],
    [
      "dot-dot hidden in a pax path",
      gz(pax("a/../../evil")),
      "member a/../../evil: path contains ..",
    ],
    [
      "dot-dot hidden in a GNU long name",
      gz(tar([
        { name: "././@LongLink", type: "L", body: "../evil\0" },
        { name: "./innocent", body: "x" },
      ])),
      "member ../evil: path contains ..",
    ],
    [
      "symbolic link",
      gz(tar([{ name: "./link", type: "2" }])),
      "member ./link: symbolic link: refused",
    ],
    [
      "hard link",
      gz(tar([{ name: "./hard", type: "1" }])),
      "member ./hard: hard link: refused",
    ],
    [
      "character device",
      gz(tar([{ name: "./dev", type: "3" }])),
      "member ./dev: character device: refused",
    ],
    [
      "block device",
      gz(tar([{ name: "./blk", type: "4" }])),
      "block device: refused",
    ],
    ["FIFO", gz(tar([{ name: "./fifo", type: "6" }])), "FIFO: refused"],
    [
      "sparse file",
      gz(tar([{ name: "./s", type: "S" }])),
      "member ./s: unsupported type",
    ],
    [
      "bad header checksum",
      gz(corruptHeader),
      "is corrupt (bad header checksum)",
    ],
    [
      "tar cut inside a member",
      gz(good.slice(0, BLOCK * 3 + 100)),
      "is truncated, member ./vm-papiex-1-0.csv",
    ],
    [
      "tar without its end blocks",
      gz(tar([{ name: "./a", body: "x" }], false)),
      "is truncated (no end-of-archive block)",
    ],
    [
      "gzip cut short",
      gzGood.slice(0, gzGood.length - 20),
      "is truncated (compressed data ends early)",
    ],
    ["gzip checksum wrong", gzFlipped, "is corrupt"],
    [
      "not an archive at all",
      enc.encode("hello world\n".repeat(100)),
      'is not a gzip or tar archive: it begins with text "hello world…"',
    ],
    ["empty file", new Uint8Array(0), "file is empty"],
  ];
  for (const [name, data, message] of cases) {
    await t.step(name, async () => {
      const archive = join(dir, "hostile.tgz");
      await Deno.writeFile(archive, data);
      const dest = join(dir, "dest");
      await Deno.mkdir(dest);
      const e = await assertRejects(
        () => extractArchive(archive, dest),
        UserError,
      );
      assertStringIncludes(e.message, `archive ${archive}`);
      assertStringIncludes(e.message, message);
      assert(!(await exists(join(dir, "evil"))), "nothing escaped");
      assert(!(await exists("/tmp/evil")), "nothing escaped");
      await Deno.remove(dest, { recursive: true });
    });
  }
  await t.step("missing archive", async () => {
    const e = await assertRejects(
      () => readArchiveMember(join(dir, "none.tgz"), "job_metadata"),
      UserError,
    );
    assertStringIncludes(e.message, "none.tgz: no such file or directory");
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("isArchivePath() knows .tgz, .tar.gz and .tar", () => {
  assertEquals(
    ["a.tgz", "a.tar.gz", "a.tar", "a.TGZ", "dir", "a.gz", "job_metadata"].map(
      isArchivePath,
    ),
    [true, true, true, true, false, false, false],
  );
});

Deno.test("extractArchive() never follows a symlink already in the destination", async () => {
  const dir = await scratch();
  const outside = join(dir, "outside.txt");
  await Deno.writeTextFile(outside, "untouched");
  const dest = join(dir, "dest");
  await Deno.mkdir(dest);
  await Deno.symlink(outside, join(dest, "job_metadata"));
  const archive = join(dir, "a.tgz");
  await Deno.writeFile(
    archive,
    new Uint8Array(gzipSync(tar([{ name: "./job_metadata", body: "evil" }]))),
  );
  const e = await assertRejects(() => extractArchive(archive, dest), UserError);
  assertStringIncludes(e.message, "exists and is not a regular file");
  assertEquals(await Deno.readTextFile(outside), "untouched");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("extractArchive() lets a repeated member replace the earlier one, as tar does", async () => {
  const dir = await scratch();
  const archive = join(dir, "a.tar");
  await Deno.writeFile(
    archive,
    tar([{ name: "./m", body: "first" }, { name: "./m", body: "second" }]),
  );
  const dest = join(dir, "dest");
  await Deno.mkdir(dest);
  await extractArchive(archive, dest);
  assertEquals(await Deno.readTextFile(join(dest, "m")), "second");
  assertEquals(
    new TextDecoder().decode(await readArchiveMember(archive, "m")),
    "second",
  );
  await Deno.remove(dir, { recursive: true });
});

/**
 * Input that would hang epmt or exhaust its memory: a FIFO in a job
 * directory, files linked to /dev/zero, endless lines, a huge job_metadata,
 * metadata nested 100,000 deep, a gzip bomb (1 MB expanding to 1 GiB). Each
 * is refused with one line naming the file, at once. The bounds are
 * settings, lowered here so that no test builds anything large.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { LAUNCHER, refused, type Result, sandbox } from "./helpers.ts";
import { metadata, writeFixtureJob } from "./submit_jobs.ts";
import { BLOCK, makeHeader } from "./tar_bytes.ts";
import { encodeMetadata } from "../src/job/metadata.ts";
import { extractArchive } from "../src/archive/mod.ts";
import { DEFAULT_LIMITS, setLimits } from "../src/limits.ts";
import { UserError } from "../src/errors.ts";

const MiB = 1024 * 1024;

/**
 * Runs epmt, killing it if it has not ended in 60 s: a hang fails the test
 * instead of stalling the suite.
 */
async function epmtOrHang(
  args: string[],
  env: Record<string, string>,
): Promise<Result> {
  const child = new Deno.Command(LAUNCHER, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, 60_000);
  const out = await child.output();
  clearTimeout(timer);
  assert(!hung, `epmt ${args.join(" ")} hung`);
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("files that never end or block are refused, not read", async (t) => {
  const box = await sandbox();
  const job = (id: string) => writeFixtureJob(box.dir, "single", metadata(id));

  await t.step("a FIFO named like a collector file", async () => {
    const dir = await job("fifo1");
    const fifo = join(dir, "vm-papiex-9999-0.csv");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(made.success);
    refused(
      await epmtOrHang(["submit", "-n", dir], box.env),
      fifo,
      "a FIFO, not a regular file: refused",
    );
  });
  await t.step("a collector file linked to /dev/zero", async () => {
    const dir = await job("zero1");
    const csv = join(dir, "vm-papiex-9998-0.csv");
    await Deno.symlink("/dev/zero", csv);
    refused(
      await epmtOrHang(["submit", "-n", dir], box.env),
      csv,
      "a character device, not a regular file: refused",
    );
  });
  await t.step(
    "job_metadata linked to /dev/zero (submit and dump)",
    async () => {
      const dir = await job("zero2");
      const meta = join(dir, "job_metadata");
      await Deno.remove(meta);
      await Deno.symlink("/dev/zero", meta);
      for (const args of [["submit", "-n", dir], ["dump", meta]]) {
        refused(
          await epmtOrHang(args, box.env),
          meta,
          "a character device, not a regular file: refused",
        );
      }
    },
  );
  await t.step("an archive that is a FIFO or linked to /dev/zero", async () => {
    const fifo = join(box.dir, "fifo.tgz");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(made.success);
    const zero = join(box.dir, "zero.tgz");
    await Deno.symlink("/dev/zero", zero);
    for (
      const [file, what] of [[fifo, "a FIFO"], [zero, "a character device"]]
    ) {
      for (const args of [["submit", "-n", file], ["dump", file]]) {
        refused(
          await epmtOrHang(args, box.env),
          `archive ${file}`,
          `${what}, not a regular file: refused`,
        );
      }
    }
  });
  await Deno.remove(box.dir, { recursive: true });
});

Deno.test("lines, metadata and nesting beyond their bounds are refused", async (t) => {
  const box = await sandbox();

  await t.step("a line longer than max_line_bytes", async () => {
    const dir = await writeFixtureJob(box.dir, "single", metadata("long1"));
    const csv = join(dir, "vm-papiex-5649-0.csv");
    const text = await Deno.readTextFile(csv);
    const [header] = text.split("\n");
    // The endless line comes second, without a newline, as from /dev/zero.
    await Deno.writeTextFile(csv, header + "\n" + "1,".repeat(3000));
    const env = { ...box.env, EPMT_MAX_LINE_BYTES: "4096" };
    refused(
      await epmtOrHang(["submit", "-n", dir], env),
      `${csv}:2: line longer than 4096 bytes`,
      "(setting max_line_bytes)",
    );
    // Within the default bound the same file is read (and fails otherwise).
    const r = await epmtOrHang(["submit", "-n", dir], box.env);
    assert(!r.stderr.includes("line longer"), r.stderr);
  });

  await t.step("a job_metadata larger than max_metadata_bytes", async () => {
    const dir = await writeFixtureJob(
      box.dir,
      "single",
      metadata("big1", { job_pl_env: { BIG: "x".repeat(20_000) } }),
    );
    const meta = join(dir, "job_metadata");
    const env = { ...box.env, EPMT_MAX_METADATA_BYTES: "10000" };
    for (const args of [["submit", "-n", dir], ["dump", dir]]) {
      refused(
        await epmtOrHang(args, env),
        meta,
        "larger than 10000 bytes (9.8 KiB): refused (setting max_metadata_bytes)",
      );
    }
    const r = await epmtOrHang(["dump", "-k", "job_pl_id", dir], box.env);
    assertEquals(r.stdout, "big1\n", r.stderr);
  });

  const deep = 100_000;
  await t.step("JSON metadata nested 100,000 deep", async () => {
    const dir = await writeFixtureJob(box.dir, "single", metadata("deep1"));
    const meta = join(dir, "job_metadata");
    const text = encodeMetadata(metadata("deep1")).replace(
      '"job_tags": {',
      `"zz": ${"[".repeat(deep)}${"]".repeat(deep)}, "job_tags": {`,
    );
    await Deno.writeTextFile(meta, text);
    for (const args of [["submit", "-n", dir], ["dump", dir]]) {
      refused(
        await epmtOrHang(args, box.env),
        meta,
        "nested more than 64 levels deep: refused",
      );
    }
  });

  await t.step("a Python pickle nested 100,000 deep", async () => {
    const dir = join(box.dir, "deep2");
    await Deno.mkdir(dir);
    const meta = join(dir, "job_metadata");
    // Protocol 2: {"job_pl_id": "deep2", "job_tags": {"a": [[[...]]]}},
    // the lists made by EMPTY_LIST n times, then APPEND n-1 times.
    const enc = new TextEncoder();
    const str = (s: string) => {
      const b = enc.encode(s);
      const out = new Uint8Array(5 + b.length);
      out[0] = 0x58; // BINUNICODE
      new DataView(out.buffer).setUint32(1, b.length, true);
      out.set(b, 5);
      return out;
    };
    const parts = [
      Uint8Array.of(0x80, 2, 0x7d), // PROTO 2, EMPTY_DICT
      str("job_pl_id"),
      str("deep2"),
      Uint8Array.of(0x73), // SETITEM
      str("job_tags"),
      Uint8Array.of(0x7d),
      str("a"),
      new Uint8Array(deep).fill(0x5d), // EMPTY_LIST
      new Uint8Array(deep - 1).fill(0x61), // APPEND
      Uint8Array.of(0x73, 0x73, 0x2e), // SETITEM SETITEM STOP
    ];
    await Deno.writeFile(meta, concat(parts));
    for (const args of [["submit", "-n", dir], ["dump", dir]]) {
      refused(
        await epmtOrHang(args, box.env),
        meta,
        "nested more than 64 levels deep: refused",
      );
    }
  });
  await Deno.remove(box.dir, { recursive: true });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A gzip bomb as the issue met it: about 1 MB that expands to a 1 GiB
 * member. Built in a moment: gzip streams may be concatenated, so the
 * member's body is one compressed MiB of zeros, repeated.
 */
function gzipBomb(gib = 1): Uint8Array {
  const size = gib * 1024 * MiB;
  const header = makeHeader({
    name: "./vm-collated-papiex-1-0.csv",
    type: "0",
    size,
    mode: 0o644,
    mtime: 1700000000,
  });
  const zeros = gzipSync(new Uint8Array(MiB));
  const parts = [gzipSync(header)];
  for (let i = 0; i < size / MiB; i++) parts.push(zeros);
  parts.push(gzipSync(new Uint8Array(2 * BLOCK)));
  return concat(parts);
}

/** This process's peak resident set so far, MiB. */
function peakMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(status.match(/VmHWM:\s+(\d+)/)![1]) / 1024;
}

Deno.test("a gzip bomb is refused early, in bounded memory", async (t) => {
  const box = await sandbox();
  const bomb = join(box.dir, "bomb.tgz");
  const data = gzipBomb();
  assert(data.length < 1.1 * MiB, `the bomb is ${data.length} bytes`);
  await Deno.writeFile(bomb, data);

  await t.step("by the expansion bound, while streaming", async () => {
    const dest = join(box.dir, "dest");
    await Deno.mkdir(dest);
    const before = peakMiB();
    setLimits({ expansion: 10 });
    try {
      await extractArchive(bomb, dest);
      throw new Error("the bomb was extracted");
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      assertStringIncludes(
        e.message,
        `archive ${bomb} expands beyond 10 times its size (past 67108864 bytes (64.0 MiB)): refused as a likely gzip bomb (setting max_expansion)`,
      );
    } finally {
      setLimits(DEFAULT_LIMITS);
    }
    // Stopped at the bound: on disk at most 64 MiB, in memory far less.
    const written = Deno.statSync(
      join(dest, "vm-collated-papiex-1-0.csv"),
    ).size;
    assert(written <= 64 * MiB, `${written} bytes written`);
    const grew = peakMiB() - before;
    assert(grew < 100, `peak RSS grew by ${grew.toFixed(0)} MiB`);
    await Deno.remove(dest, { recursive: true });
  });

  await t.step("by the member bound, before reading the member", async () => {
    const dest = join(box.dir, "dest");
    await Deno.mkdir(dest);
    setLimits({ memberBytes: 512 * MiB });
    try {
      await extractArchive(bomb, dest);
      throw new Error("the bomb was extracted");
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      assertStringIncludes(
        e.message,
        `archive ${bomb}: member ./vm-collated-papiex-1-0.csv: 1073741824 bytes (1.0 GiB), larger than 536870912 bytes (512.0 MiB): refused (setting max_member_bytes)`,
      );
    } finally {
      setLimits(DEFAULT_LIMITS);
    }
    assertEquals([...Deno.readDirSync(dest)], [], "nothing written");
    await Deno.remove(dest, { recursive: true });
  });

  await t.step("submit and dump say so in one line", async () => {
    const env = { ...box.env, EPMT_MAX_EXPANSION: "10" };
    for (const args of [["submit", "-n", bomb], ["dump", bomb]]) {
      refused(
        await epmtOrHang(args, env),
        `archive ${bomb} expands beyond 10 times its size`,
        "refused as a likely gzip bomb (setting max_expansion)",
      );
    }
  });
  await Deno.remove(box.dir, { recursive: true });
});

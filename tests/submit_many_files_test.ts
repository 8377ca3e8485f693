/**
 * A job of more per-process files than PARALLEL_MIN_FILES is read by
 * workers while the main thread parses: the same rows, in the same order,
 * and the same one-line refusals (a FIFO, a link to /dev/zero, a file cut
 * short, a file too big to be handed over whole) as a small job gets.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { epmt, refused } from "./helpers.ts";
import { generatedJob, type GenProcess, ok } from "./query_helpers.ts";
import {
  forEachFileParallel,
  PARALLEL_MIN_FILES,
} from "../src/ingest/parallel_files.ts";
import {
  BATCH_BYTES_MAX,
  WHOLE_FILE_MAX,
} from "../src/ingest/file_reader_worker.ts";
import { DatabaseSync } from "node:sqlite";

const KIDS = PARALLEL_MIN_FILES + 500;

/** A root with KIDS children, each its own file; cpu differs per child. */
function wide(): GenProcess {
  return {
    exe: "bash",
    cpu: 7,
    kids: Array.from({ length: KIDS }, (_, i) => ({
      exe: "cp",
      args: `f${i}`,
      cpu: 100 + i,
    })),
  };
}

async function scratch(): Promise<
  { dir: string; env: Record<string, string> }
> {
  const dir = await Deno.makeTempDir({ prefix: "epmt-many-files-" });
  return {
    dir,
    env: {
      HOME: dir,
      EPMT_DB_PROVIDER: "sqlite",
      EPMT_DB_FILENAME: join(dir, "epmt.db"),
    },
  };
}

Deno.test("a job of thousands of per-process files: every row, in tree order", async () => {
  const { dir, env } = await scratch();
  try {
    const job = await generatedJob(dir, "wide", wide(), 60_000_000);
    await ok(["submit", job], env);
    const db = new DatabaseSync(env.EPMT_DB_FILENAME);
    const rows = db.prepare(
      "SELECT idx, args, usertime + systemtime AS cpu, parent FROM processes WHERE jobid = 'wide' ORDER BY idx",
    ).all() as { idx: number; args: string; cpu: number; parent: number }[];
    db.close();
    assertEquals(rows.length, KIDS + 1);
    assertEquals(rows[0].parent, null);
    // Children in start order under the root, each with its own figures.
    for (let i = 0; i < KIDS; i++) {
      const r = rows[i + 1];
      assertEquals([r.args, r.cpu, r.parent], [`f${i}`, 100 + i, 0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a job of thousands of files: bad ones refused as in a small job", async (t) => {
  const { dir, env } = await scratch();
  try {
    const cases: [string, (file: string) => Promise<void>, string][] = [
      ["fifo", async (f) => {
        const made = await new Deno.Command("mkfifo", { args: [f] }).output();
        assert(made.success);
      }, "a FIFO, not a regular file: refused"],
      [
        "zero",
        (f) => Deno.symlink("/dev/zero", f),
        "a character device, not a regular file: refused",
      ],
      ["cut", async (f) => {
        const text = await Deno.readTextFile(f.replace("-99999-", "-2001-"));
        await Deno.writeTextFile(f, text.slice(0, -3));
      }, "the file ends in the middle of this line"],
      ["big", async (f) => {
        // Bigger than a worker hands over: read by the main thread, which
        // finds the bad line at its end.
        const text = await Deno.readTextFile(f.replace("-99999-", "-2001-"));
        const pad = "\n".repeat(WHOLE_FILE_MAX + 10);
        await Deno.writeTextFile(f, text + pad + "1,2,3\n");
      }, `:${WHOLE_FILE_MAX + 13}: `],
    ];
    for (const [name, make, what] of cases) {
      await t.step(name, async () => {
        const job = await generatedJob(dir, name, wide(), 60_000_000);
        const file = join(job, "vm-papiex-99999-0.csv");
        await make(file);
        const r = await epmt(["submit", job], { env });
        refused(r, file, what);
      });
    }
    const db = new DatabaseSync(env.EPMT_DB_FILENAME);
    const [{ n }] = db.prepare("SELECT count(*) AS n FROM jobs").all() as {
      n: number;
    }[];
    db.close();
    assertEquals(n, 0, "nothing stored from a refused job");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers hand back each file whole, in order; the rest to the caller", async () => {
  const dir = await Deno.makeTempDir({ prefix: "epmt-many-files-" });
  try {
    // Some end without a line end: read on to the end, not taken whole
    // at the first short read.
    const text = (i: number) =>
      `file ${i}\n`.repeat(i % 7) + (i % 5 === 0 ? `tail ${i}` : "");
    const names: string[] = [];
    for (let i = 0; i < 600; i++) {
      await Deno.writeTextFile(join(dir, `f${i}`), text(i));
      names.push(`f${i}`);
    }
    assert(
      (await new Deno.Command("mkfifo", { args: [join(dir, "fifo")] })
        .output()).success,
    );
    names.splice(300, 0, "fifo", "missing");
    const seen: (string | null)[] = [];
    await forEachFileParallel(dir + "/", names, () => false, (i, bytes) => {
      assertEquals(i, seen.length);
      seen.push(bytes && new TextDecoder().decode(bytes));
    });
    assertEquals(seen.length, 602);
    assertEquals(seen[300], null, "a FIFO is left to the caller");
    assertEquals(seen[301], null, "so is a file that cannot be opened");
    const files = seen.filter((_, i) => i !== 300 && i !== 301);
    files.forEach((t, i) => assertEquals(t, text(i)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers answer at most BATCH_BYTES_MAX at once: the rest is left to the caller", async () => {
  const dir = await Deno.makeTempDir({ prefix: "epmt-many-files-" });
  try {
    const big = 800 << 10;
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      await Deno.writeTextFile(
        join(dir, `big${i}`),
        String.fromCharCode(65 + (i % 26)).repeat(big),
      );
      names.push(`big${i}`);
    }
    const got: (Uint8Array | null)[] = [];
    await forEachFileParallel(dir + "/", names, () => true, (_, bytes) => {
      got.push(bytes && bytes.slice());
    });
    assertEquals(got.length, 40);
    const whole = got.filter((b) => b !== null) as Uint8Array[];
    // All 40 fit no batch (32 MB > 16 MiB): some are left to the caller...
    assert(whole.length < 40 && whole.length >= 20, `${whole.length} whole`);
    assert(whole.length * big <= BATCH_BYTES_MAX + big, "answer bounded");
    // ...and those handed over are whole and right.
    got.forEach((b, i) => {
      if (b === null) return;
      assertEquals(b.length, big);
      assertEquals(b[0], 65 + (i % 26));
      assertEquals(b[big - 1], 65 + (i % 26));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

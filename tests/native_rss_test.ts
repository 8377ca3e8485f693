/**
 * rssmax is each process image's own peak resident set, in KiB. The kernel's
 * ru_maxrss is not: the peak survives exec (the old memory's peak is folded
 * into it), and a child that execs takes with it the pages it shared with its
 * parent (fork) or all of its parent's memory (vfork, posix_spawn). So a
 * small program started by a big one would report the big one's peak.
 */
import { assert, assertEquals } from "./assert.ts";
import { allProcs, BUILD, type Proc, run, scratch } from "./native_helpers.ts";

const CSV = "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV";
const RSS = `${BUILD}/rss`;
const MIB = 1024; // rssmax is in KiB
const SMALL = 20 * MIB; // far below the 200 MiB the parents touch

/** Runs cmd collected; every process it recorded. */
async function collected(cmd: string[]): Promise<Proc[]> {
  const out = await scratch();
  try {
    const r = await run(cmd, { options: CSV, out });
    assertEquals(r.code, 0, r.stderr);
    return await allProcs(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/** The one process whose exename and args are these. */
function one(procs: Proc[], exe: string, args: string): Proc {
  const found = procs.filter((p) =>
    p.row.exename === exe && p.row.args === args
  );
  assertEquals(found.length, 1, `${exe} ${args}: ${found.length} records`);
  return found[0];
}

/** rssmax of every thread row of p. */
function rss(p: Proc): number[] {
  return p.threads.map((t) => Number(t.rssmax));
}

Deno.test("rssmax: a program started from a test runner has its own peak", async () => {
  const procs = await collected(["/bin/true"]);
  assertEquals(procs.length, 1);
  assert(rss(procs[0])[0] > 0);
  assert(rss(procs[0])[0] < SMALL, `rssmax ${rss(procs[0])}`);
});

Deno.test("rssmax: the image after exec reports its own peak, not the one before", async () => {
  const procs = await collected([RSS, "200", "exec", "/bin/true"]);
  const big = one(procs, RSS, "200 exec /bin/true");
  const small = one(procs, "/bin/true", "");
  assertEquals(big.row.pid, small.row.pid);
  assertEquals(Number(small.row.generation), Number(big.row.generation) + 1);
  assert(rss(big)[0] >= 200 * MIB, `before exec: ${rss(big)}`);
  assert(rss(small)[0] > 0 && rss(small)[0] < SMALL, `after: ${rss(small)}`);
});

Deno.test("rssmax: a child that execs does not report its parent's memory", async (t) => {
  for (const how of ["fork", "spawn"]) {
    await t.step(`${how}, a small program`, async () => {
      const procs = await collected([RSS, "200", how, "/bin/true"]);
      const parent = one(procs, RSS, `200 ${how} /bin/true`);
      const child = one(procs, "/bin/true", "");
      assertEquals(child.row.ppid, parent.row.pid);
      assertEquals(child.row.generation, "0");
      assert(rss(parent)[0] >= 200 * MIB, `parent: ${rss(parent)}`);
      assert(rss(child)[0] > 0 && rss(child)[0] < SMALL, `${rss(child)}`);
    });
    await t.step(`${how}, a child that touches 100 MiB itself`, async () => {
      const procs = await collected([RSS, "200", how, RSS, "100"]);
      const child = one(procs, RSS, "100");
      assert(rss(child)[0] >= 100 * MIB, `child: ${rss(child)}`);
      assert(rss(child)[0] < 150 * MIB, `child: ${rss(child)}`);
    });
  }
});

Deno.test("rssmax: a fork child that does not exec reports its own memory", async () => {
  // The parent gives its 200 MiB back before forking; one child touches
  // nothing, the other 100 MiB.
  for (const [mib, lo, hi] of [[0, 1, SMALL], [100, 100 * MIB, 150 * MIB]]) {
    const procs = await collected([RSS, "200", "forkonly", String(mib)]);
    const [parent, child] = procs.filter((p) => p.row.exename === RSS)
      .sort((a, b) => Number(a.row.start) - Number(b.row.start));
    assertEquals(child.row.ppid, parent.row.pid);
    assert(rss(parent)[0] >= 200 * MIB, `parent: ${rss(parent)}`);
    assert(rss(child)[0] >= lo && rss(child)[0] < hi, `child: ${rss(child)}`);
  }
});

Deno.test("rssmax: every thread row of a multi-threaded child holds its own peak, never its parent's", async (t) => {
  for (const [mib, lo, hi] of [[0, 1, SMALL], [100, 100 * MIB, 150 * MIB]]) {
    await t.step(`a thread touches ${mib} MiB`, async () => {
      const args = `0 threads ${mib}`;
      const procs = await collected([
        RSS,
        "200",
        "fork",
        RSS,
        ...args.split(" "),
      ]);
      const child = one(procs, RSS, args);
      const rows = rss(child);
      assertEquals(rows.length, 4, "main and three threads");
      assert(rows.every((v) => v > 0 && v < hi), `rows: ${rows}`);
      assert(Math.max(...rows) >= lo, `rows: ${rows}`);
    });
  }
});

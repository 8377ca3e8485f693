import { assertEquals } from "./assert.ts";
import { Progress } from "../src/ingest/progress.ts";

Deno.test("Progress draws a bar after its delay, at most every 100 ms, and erases it", async () => {
  const out: string[] = [];
  const p = new Progress({
    enabled: true,
    delayMs: 0,
    write: (t) => out.push(t),
  });
  p.update("reading job", 5, 10, "files");
  p.update("reading job", 6, 10, "files"); // too soon: not drawn
  await new Promise((r) => setTimeout(r, 120));
  p.update("storing job", 3 * 1048576, 4 * 1048576, "bytes");
  p.clear();
  p.clear(); // nothing more to erase
  assertEquals(out, [
    "\rreading job [###############---------------] 5/10 files\x1b[K",
    "\rstoring job [#######################-------] 3/4 MiB\x1b[K",
    "\r\x1b[K",
  ]);
});

Deno.test("Progress stays quiet when disabled or before its delay", () => {
  const out: string[] = [];
  for (
    const opts of [{ enabled: false, delayMs: 0 }, {
      enabled: true,
      delayMs: 60_000,
    }]
  ) {
    const p = new Progress({ ...opts, write: (t) => out.push(t) });
    p.update("x", 1, 2);
    p.clear();
  }
  assertEquals(out, []);
});

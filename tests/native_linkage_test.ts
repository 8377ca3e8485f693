/**
 * The collector is loaded into every process of a job, on any glibc the
 * bundle supports (2.27 and later): it must need libc alone (libdl.so.2 or
 * libpthread.so.0 would be one more library for every process to load) and
 * no symbol version newer than 2.27, so that the bundle ships native/'s
 * build as it is (scripts/build/collector.ts).
 */
import { assert, assertEquals } from "./assert.ts";
import { LIB } from "./native_helpers.ts";
import { compareVersions, glibcNeeded } from "../scripts/build/glibc.ts";

Deno.test("the collector needs libc alone, from glibc 2.27 or older", async () => {
  const r = await new Deno.Command("readelf", { args: ["-dW", LIB] }).output();
  assert(r.success, "readelf -d");
  const needed = [
    ...new TextDecoder().decode(r.stdout).matchAll(
      /\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g,
    ),
  ].map((m) => m[1]);
  assertEquals(needed, ["libc.so.6"]);
  const glibc = glibcNeeded(LIB);
  assert(glibc && compareVersions(glibc, "2.27") <= 0, `needs ${glibc}`);
});

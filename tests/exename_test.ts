/**
 * One program, one name: a shell records argv[0] as typed (`gzip`), while
 * `epmt run gzip` spawns it as /usr/bin/gzip. Both are stored as `gzip`, so
 * `list procs --exe gzip` finds both and `compare` keeps them in one row;
 * the full path is in the path column.
 */
import { assertEquals } from "./assert.ts";
import { LAUNCHER, makeCollector, ROOT } from "./helpers.ts";
import { jobBox, slurm } from "./job_helpers.ts";

Deno.test("epmt run's command and a shell's are stored under one bare name", async () => {
  await makeCollector();
  const box = await jobBox();
  const env = { ...slurm("990"), EPMT_INSTALL_PREFIX: ROOT };
  const script = `set -e
"${LAUNCHER}" start
"${LAUNCHER}" run gzip -c /etc/hostname >/dev/null
export $("${LAUNCHER}" source)
sh -c 'gzip -c /etc/hostname >/dev/null; true'
unset LD_PRELOAD
"${LAUNCHER}" stop
"${LAUNCHER}" submit >/dev/null`;
  const r = await box.run("bash", ["-c", script], env);
  assertEquals(r.code, 0, r.stderr);
  const list = await box.epmt(
    ["list", "procs", "990", "--exe", "gzip", "--json"],
  );
  assertEquals(list.code, 0, list.stderr);
  const procs = JSON.parse(list.stdout) as { exename: string }[];
  assertEquals(procs.map((p) => p.exename), ["gzip", "gzip"]);
  await box.remove();
});

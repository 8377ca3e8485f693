/**
 * What the bundle's collector (rebuilt to load on glibc older than 2.34,
 * see scripts/build/collector.ts) costs per process against native/'s own
 * build, beside the bare program, in the same interleaved rounds.
 *
 *     deno task bench shipped_collector [--runs N] [--rounds R]
 *
 * Each round runs /bin/true N times from one bash loop, bare, then with each
 * library preloaded and collecting (PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV, as
 * epmt run does). Prints medians in microseconds per process.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "1000" },
    rounds: { type: "string", default: "7" },
  },
});
const work = join(ROOT, ".bench", "shipped_collector");
await Deno.remove(work, { recursive: true }).catch(() => {});
await Deno.mkdir(join(work, "out"), { recursive: true });

const build = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    join(ROOT, "scripts", "build.ts"),
    "--out",
    work,
    "--no-compile",
    "--no-tar",
  ],
  stdout: "piped",
  stderr: "inherit",
}).output();
const log = new TextDecoder().decode(build.stdout);
if (!build.success) {
  console.error(log);
  Deno.exit(1);
}
const folder = /^build: bundle (.+)\/ /m.exec(log)![1];
const libs: [string, string][] = [
  ["bare", ""],
  ["native/ as built", join(ROOT, "native", "libepmt.so")],
  [
    "shipped (bundle)",
    join(folder.startsWith("/") ? "" : Deno.cwd(), folder, "lib", "libepmt.so"),
  ],
];

const loop = `n=$1; lib=$2; s=$EPOCHREALTIME
if [ -z "$lib" ]; then for ((i=0;i<n;i++)); do /bin/true; done
else for ((i=0;i<n;i++)); do LD_PRELOAD=$lib /bin/true; done; fi
e=$EPOCHREALTIME; echo "$s $e"`;
const times = new Map<string, number[]>();
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const [name, lib] of libs) {
    const out = await new Deno.Command("bash", {
      args: ["-c", loop, "bench", opt.runs, lib],
      env: {
        PAPIEX_OUTPUT: join(work, "out") + "/",
        PAPIEX_OPTIONS: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
        EPMT_JOB_ID: "bench",
      },
      stdout: "piped",
    }).output();
    const [s, e] = new TextDecoder().decode(out.stdout).trim().split(" ")
      .map(Number);
    const us = (e - s) * 1e6 / Number(opt.runs);
    times.set(name, [...(times.get(name) ?? []), us]);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? s[s.length >> 1]
    : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const bare = median(times.get("bare")!);
console.log(
  `/bin/true x ${opt.runs}, ${opt.rounds} rounds, load ${
    Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
  }`,
);
for (const [name] of libs) {
  const m = median(times.get(name)!);
  console.log(
    `${name.padEnd(18)} ${m.toFixed(0).padStart(6)} us/process` +
      (name === "bare" ? "" : `  (+${(m - bare).toFixed(0)} us)`),
  );
}
await Deno.remove(work, { recursive: true });

/**
 * `deno task bench collector`: what the native collector adds.
 *
 * 1. 500 runs of /bin/true in a bash loop, bare and with libepmt.so
 *    preloaded in each output form, interleaved round by round; the added
 *    milliseconds per process are the median over rounds of (form - bare)
 *    of that round, with the spread of those differences.
 * 2. A 4-thread CPU-bound program (native/build/threads), bare and
 *    collected: its slowdown in percent, wall and CPU time.
 *
 * The machine is shared: the load average is shown, and with --wait the
 * run waits (up to 5 minutes) for the 1-minute load to drop below 0.5.
 * Options: --rounds N (default 7), --loop N (default 500), --wait.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(ROOT, "native", "libepmt.so");
const THREADS = join(ROOT, "native", "build", "threads");

function option(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}
const ROUNDS = option("--rounds", 7);
const LOOP = option("--loop", 500);

interface Form {
  name: string;
  options: string | null; // null: bare, no preload
}
const FORMS: Form[] = [
  { name: "bare", options: null },
  { name: "preloaded, collecting nothing", options: "" },
  {
    name: "PERF_COUNT_SW_CPU_CLOCK (file per process)",
    options: "PERF_COUNT_SW_CPU_CLOCK",
  },
  {
    name: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_TSV",
    options: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_TSV",
  },
  {
    name: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV (epmt default)",
    options: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV",
  },
];

function loadAverage(): number[] {
  return Deno.loadavg();
}

async function waitForQuiet(): Promise<void> {
  const until = Date.now() + 5 * 60_000;
  while (loadAverage()[0] >= 0.5 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5000));
  }
}

function env(options: string | null, out: string): Record<string, string> {
  const e: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  if (options !== null) {
    e.LD_PRELOAD = LIB;
    e.PAPIEX_OPTIONS = options;
    e.PAPIEX_OUTPUT = out + "/";
  }
  return e;
}

/** Wall seconds and children's CPU seconds of one command under bash. */
async function timed(
  command: string,
  e: Record<string, string>,
): Promise<{ wall: number; cpu: number }> {
  const script = `TIMEFORMAT='%U %S'; time ( ${command} )`;
  const t0 = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: e,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  const wall = (performance.now() - t0) / 1000;
  if (!out.success) throw new Error(`failed: ${command}`);
  const [u, s] = new TextDecoder().decode(out.stderr).trim().split(/\s+/)
    .map(Number);
  return { wall, cpu: u + s };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x: number, digits = 3): string {
  return x.toFixed(digits);
}

async function main(): Promise<void> {
  await new Deno.Command("make", { args: ["-s", "-C", join(ROOT, "native")] })
    .output();
  if (Deno.args.includes("--wait")) await waitForQuiet();
  const load0 = loadAverage();
  const scratch = await Deno.makeTempDir({ prefix: "epmt-bench-collector-" });
  console.log(
    `load average at start: ${load0.map((x) => x.toFixed(2)).join(" ")} ` +
      `(${navigator.hardwareConcurrency} cpus)`,
  );

  // 1. Many small processes.
  const loop = `for i in $(seq ${LOOP}); do /bin/true; done`;
  const perProc: number[][] = FORMS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so no form always runs first or last.
    for (let k = 0; k < FORMS.length; k++) {
      const f = (k + r) % FORMS.length;
      const out = join(scratch, `r${r}-f${f}`);
      await Deno.mkdir(out);
      const { wall } = await timed(loop, env(FORMS[f].options, out));
      perProc[f][r] = (wall * 1000) / LOOP;
    }
  }
  console.log(
    `\n${LOOP} x /bin/true in a bash loop, ${ROUNDS} rounds interleaved ` +
      `(ms per process; added = median over rounds of form - bare)`,
  );
  console.log(
    "form".padEnd(52) + "ms/proc".padStart(9) + "added".padStart(9) +
      "   spread of added",
  );
  for (let f = 0; f < FORMS.length; f++) {
    const diffs = perProc[f].map((x, r) => x - perProc[0][r]);
    const spread = f === 0
      ? ""
      : `   ${fmt(Math.min(...diffs))} .. ${fmt(Math.max(...diffs))}`;
    console.log(
      FORMS[f].name.padEnd(52) + fmt(median(perProc[f])).padStart(9) +
        (f === 0 ? "" : fmt(median(diffs))).padStart(9) + spread,
    );
  }

  // 2. A CPU-bound program with 4 threads.
  const work = 60_000_000;
  const cmd = `${THREADS} 4 join ${work}`;
  const bare: { wall: number; cpu: number }[] = [];
  const coll: { wall: number; cpu: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const out = join(scratch, `threads-${r}`);
    await Deno.mkdir(out);
    const collect = env("PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV", out);
    if (r % 2) {
      bare.push(await timed(cmd, env(null, out)));
      coll.push(await timed(cmd, collect));
    } else {
      coll.push(await timed(cmd, collect));
      bare.push(await timed(cmd, env(null, out)));
    }
  }
  const pct = (a: number, b: number) => (a / b - 1) * 100;
  const wallPct = bare.map((b, r) => pct(coll[r].wall, b.wall));
  const cpuPct = bare.map((b, r) => pct(coll[r].cpu, b.cpu));
  console.log(
    `\n4-thread CPU-bound (${cmd.replace(ROOT, "")}), ${ROUNDS} rounds:`,
  );
  console.log(
    `  wall: bare ${fmt(median(bare.map((x) => x.wall)))} s, collected ` +
      `${fmt(median(coll.map((x) => x.wall)))} s, slowdown ` +
      `${fmt(median(wallPct), 2)} % (spread ${fmt(Math.min(...wallPct), 2)}` +
      ` .. ${fmt(Math.max(...wallPct), 2)})`,
  );
  console.log(
    `  cpu:  bare ${fmt(median(bare.map((x) => x.cpu)))} s, collected ` +
      `${fmt(median(coll.map((x) => x.cpu)))} s, slowdown ` +
      `${fmt(median(cpuPct), 2)} % (spread ${fmt(Math.min(...cpuPct), 2)}` +
      ` .. ${fmt(Math.max(...cpuPct), 2)})`,
  );
  const load1 = loadAverage();
  console.log(
    `\nload average at end: ${load1.map((x) => x.toFixed(2)).join(" ")}`,
  );
  await Deno.remove(scratch, { recursive: true });
}

await main();

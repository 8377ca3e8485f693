/**
 * `deno task bench collector`: what the native collector adds.
 *
 * 1. 500 runs of /bin/true in a bash loop, bare and with libepmt.so
 *    preloaded in each output form, interleaved round by round; the added
 *    milliseconds per process are the median over rounds of (form - bare)
 *    of that round, with the spread of those differences. The loop also
 *    notes the time after each process: the median of those single-process
 *    times over all rounds ("per-process median") hardly moves when other
 *    work shares the machine, where the round averages do. Calibration rows
 *    measured in the same rounds put the figures in proportion: a preloaded
 *    library that does nothing, the least a collector can do (getrusage,
 *    /proc/self/stat and io, one appended line: native/bench/minimal.c),
 *    and the cost of creating one file per process in the same directory.
 * 2. A 4-thread CPU-bound program (native/build/threads), bare and
 *    collected: its slowdown in percent, wall and CPU time.
 * 3. The same for a program whose 4 threads keep starting threads while it
 *    forks 40 and 160 times (native/build/fork_threads): the slowdown must
 *    not grow with the number of forks.
 *
 * The machine is shared: the load average is shown, and with --wait the
 * run waits (up to 5 minutes) for the 1-minute load to drop below 0.5.
 * With --against LIB, epmt's default form runs once more in the same rounds
 * with another build of the library (e.g. main's, before a change), which
 * compares two builds under the same load.
 * Options: --rounds N (default 7), --loop N (default 500), --wait,
 * --against LIB.
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(ROOT, "native", "libepmt.so");
const THREADS = join(ROOT, "native", "build", "threads");
const FORK_THREADS = join(ROOT, "native", "build", "fork_threads");

function option(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}
const ROUNDS = option("--rounds", 7);
const LOOP = option("--loop", 500);
const at = Deno.args.indexOf("--against");
const AGAINST = at >= 0 ? Deno.args[at + 1] : undefined;

interface Form {
  name: string;
  options?: string; // PAPIEX_OPTIONS for libepmt.so
  lib?: string; // another build of libepmt.so (--against)
  preload?: string; // another library to preload (calibration)
  loop?: string; // the loop body, if not just /bin/true
}
const DEFAULT = "PERF_COUNT_SW_CPU_CLOCK,COLLATED_CSV";
const CAL = join(ROOT, "native", "build");
const FORMS: Form[] = [
  { name: "bare" },
  {
    name: "calibration: preloaded library doing nothing",
    preload: `${CAL}/bench_empty.so`,
  },
  {
    name: "calibration: rusage+stat+io, one append per process",
    preload: `${CAL}/bench_minimal.so`,
  },
  {
    name: "calibration: bare, and the shell creates one file",
    loop: "/bin/true; : > $PAPIEX_OUTPUT/f$i",
  },
  { name: "libepmt.so, PAPIEX_OPTIONS empty", options: "" },
  {
    name: "PERF_COUNT_SW_CPU_CLOCK (file per process)",
    options: "PERF_COUNT_SW_CPU_CLOCK",
  },
  {
    name: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_TSV",
    options: "PERF_COUNT_SW_CPU_CLOCK,COLLATED_TSV",
  },
  { name: `${DEFAULT} (epmt default)`, options: DEFAULT },
];
if (AGAINST) {
  FORMS.push({
    name: `${DEFAULT}, --against ${basename(AGAINST)}`.slice(0, 53),
    options: DEFAULT,
    lib: AGAINST,
  });
}

function loadAverage(): number[] {
  return Deno.loadavg();
}

async function waitForQuiet(): Promise<void> {
  const until = Date.now() + 5 * 60_000;
  while (loadAverage()[0] >= 0.5 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5000));
  }
}

function env(form: Form, out: string): Record<string, string> {
  const e: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    PAPIEX_OUTPUT: out + "/",
  };
  if (form.options !== undefined) {
    e.LD_PRELOAD = form.lib ?? LIB;
    e.PAPIEX_OPTIONS = form.options;
  } else if (form.preload) e.LD_PRELOAD = form.preload;
  return e;
}

/** Wall seconds and children's CPU seconds of one command under bash, and
 * the numbers the command printed, one a line. */
async function timed(
  command: string,
  e: Record<string, string>,
): Promise<{ wall: number; cpu: number; printed: number[] }> {
  const script = `TIMEFORMAT='%U %S'; time ( ${command} )`;
  const t0 = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    env: e,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall = (performance.now() - t0) / 1000;
  if (!out.success) throw new Error(`failed: ${command}`);
  const [u, s] = new TextDecoder().decode(out.stderr).trim().split(/\s+/)
    .map(Number);
  const printed = new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => /^\d/.test(l)).map(Number);
  return { wall, cpu: u + s, printed };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x: number, digits = 3): string {
  return x.toFixed(digits);
}

/** Runs cmd bare and collected (epmt's default form) ROUNDS times,
 * alternating which goes first, and prints the medians and the slowdown. */
async function versusBare(
  scratch: string,
  what: string,
  cmd: string,
): Promise<void> {
  const bare: { wall: number; cpu: number }[] = [];
  const coll: { wall: number; cpu: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const out = await Deno.makeTempDir({ dir: scratch });
    const collect = env(
      FORMS.find((f) => f.options === DEFAULT && !f.lib)!,
      out,
    );
    const plain = env(FORMS[0], out);
    if (r % 2) {
      bare.push(await timed(cmd, plain));
      coll.push(await timed(cmd, collect));
    } else {
      coll.push(await timed(cmd, collect));
      bare.push(await timed(cmd, plain));
    }
    await Deno.remove(out, { recursive: true });
  }
  const pct = (a: number, b: number) => (a / b - 1) * 100;
  console.log(`\n${what} (${cmd.replace(ROOT, "")}), ${ROUNDS} rounds:`);
  for (const k of ["wall", "cpu"] as const) {
    const p = bare.map((b, r) => pct(coll[r][k], b[k]));
    console.log(
      `  ${(k + ":").padEnd(5)} bare ${
        fmt(median(bare.map((x) => x[k])))
      } s, ` +
        `collected ${fmt(median(coll.map((x) => x[k])))} s, slowdown ` +
        `${fmt(median(p), 2)} % (spread ${fmt(Math.min(...p), 2)}` +
        ` .. ${fmt(Math.max(...p), 2)})`,
    );
  }
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
  const wall: number[][] = FORMS.map(() => []);
  const cpu: number[][] = FORMS.map(() => []);
  const each: number[][] = FORMS.map(() => []); // ms, every process
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order so no form always runs first or last.
    for (let k = 0; k < FORMS.length; k++) {
      const f = (k + r) % FORMS.length;
      const out = join(scratch, `r${r}-f${f}`);
      await Deno.mkdir(out);
      const body = FORMS[f].loop ?? "/bin/true";
      // The time after each process, kept in memory and printed at the end.
      const loop = `t=($EPOCHREALTIME); for i in $(seq ${LOOP}); do ${body}; ` +
        `t+=($EPOCHREALTIME); done; printf '%s\\n' "\${t[@]}"`;
      const t = await timed(loop, env(FORMS[f], out));
      wall[f][r] = (t.wall * 1000) / LOOP;
      cpu[f][r] = (t.cpu * 1000) / LOOP;
      for (let i = 1; i < t.printed.length; i++) {
        each[f].push((t.printed[i] - t.printed[i - 1]) * 1000);
      }
      await Deno.remove(out, { recursive: true });
    }
  }
  console.log(
    `\n${LOOP} x /bin/true in a bash loop, ${ROUNDS} rounds interleaved: ` +
      `ms per process; added = median over rounds of (form - bare) in the ` +
      `same round, wall clock and CPU (user+system of all processes); ` +
      `per-process median: of every single process's wall time, all rounds`,
  );
  console.log(
    "form".padEnd(54) + "wall".padStart(7) + "added".padStart(8) +
      "  spread".padEnd(17) + "cpu".padStart(7) + "added".padStart(8) +
      "  per-process median".padEnd(21) + "added".padStart(7),
  );
  const bareEach = median(each[0]);
  const minimal = FORMS.findIndex((f) => f.preload?.endsWith("minimal.so"));
  const addedCpu = (f: number) => median(cpu[f].map((x, r) => x - cpu[0][r]));
  for (let f = 0; f < FORMS.length; f++) {
    const dw = wall[f].map((x, r) => x - wall[0][r]);
    const dc = cpu[f].map((x, r) => x - cpu[0][r]);
    const spread = f === 0
      ? ""
      : `  ${fmt(Math.min(...dw))}..${fmt(Math.max(...dw))}`;
    console.log(
      FORMS[f].name.padEnd(54) + fmt(median(wall[f])).padStart(7) +
        (f === 0 ? "" : fmt(median(dw))).padStart(8) + spread.padEnd(17) +
        fmt(median(cpu[f])).padStart(7) +
        (f === 0 ? "" : fmt(median(dc))).padStart(8) +
        fmt(median(each[f])).padStart(21) +
        (f === 0 ? "" : fmt(median(each[f]) - bareEach)).padStart(7),
    );
  }
  console.log(
    "added CPU relative to the minimal collector's: " +
      FORMS.map((form, f) => [form, f] as const)
        .filter(([form]) => form.options?.startsWith("PERF"))
        .map(([form, f]) =>
          `${form.options}${form.lib ? " (--against)" : ""} x${
            (addedCpu(f) / addedCpu(minimal)).toFixed(2)
          }`
        ).join(", "),
  );

  // 2. A CPU-bound program with 4 threads.
  const work = 400_000_000;
  await versusBare(
    scratch,
    "4-thread CPU-bound",
    `${THREADS} 4 join ${work}`,
  );

  // 3. A threaded program that forks in a loop: the collected slowdown
  // must not grow with the rounds (a child once copied the parent's
  // record of every thread it ever ran, and each fork cost more).
  for (const rounds of [40, 160]) {
    await versusBare(
      scratch,
      `4 threads churning threads, forking ${rounds} times`,
      `${FORK_THREADS} ${rounds}`,
    );
  }
  const load1 = loadAverage();
  console.log(
    `\nload average at end: ${load1.map((x) => x.toFixed(2)).join(" ")}`,
  );
  await Deno.remove(scratch, { recursive: true });
}

await main();

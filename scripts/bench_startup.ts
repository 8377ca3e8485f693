/**
 * Start-up cost of the lifecycle commands from the built artifact (the
 * portable bundle, made fresh by the build script), against baselines
 * measured in the same rounds: /bin/true (the cost of spawning anything)
 * and `deno run` of an empty script with the bundle's own deno and flags
 * (the runtime's floor). Budget: each command's median under 100 ms wall.
 *
 *     deno task bench startup [--rounds N]
 *
 * Every round runs the baselines, then start, run /bin/true, stop and source
 * for a fresh job in a scratch HOME and papiex_output, and source twice more:
 * with a home directory that cannot hold Deno's cache (the launcher then
 * uses one in TMPDIR), and with no usable cache at all (for reference). Exits 1 if a command
 * fails or a median is over budget.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runBuild } from "../tests/helpers.ts";

const BUDGET_MS = 100;
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: opt } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "15" } },
});
const rounds = Number(opt.rounds);

const work = join(ROOT, ".bench", "startup");
await Deno.remove(work, { recursive: true }).catch(() => {});
await Deno.mkdir(work, { recursive: true });
const bundle = await buildBundle(work);
const launcher = join(bundle, "epmt");
const empty = join(work, "empty.js");
await Deno.writeTextFile(empty, "");

const scratch = join(work, "scratch");
await Deno.mkdir(join(scratch, "home"), { recursive: true });
const baseEnv: Record<string, string> = {
  PATH: "/usr/bin:/bin",
  HOME: join(scratch, "home"),
  EPMT_PAPIEX_OUTPUT: join(scratch, "out") + "/",
  EPMT_DB_FILENAME: join(scratch, "epmt.db"),
};

interface Case {
  name: string;
  argv: string[];
  /** Counted against the budget (the epmt commands) or a baseline. */
  budget: boolean;
  /** Extra environment for this case. */
  env?: Record<string, string>;
}

function cases(): Case[] {
  return [
    { name: "/bin/true", argv: ["/bin/true"], budget: false },
    {
      name: "deno run empty.js",
      argv: [
        join(bundle, "bin", "deno"),
        "run",
        "--quiet",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        "--no-remote",
        "--no-npm",
        empty,
      ],
      budget: false,
    },
    { name: "epmt --version", argv: [launcher, "--version"], budget: false },
    { name: "epmt start", argv: [launcher, "start"], budget: true },
    {
      name: "epmt run /bin/true",
      argv: [launcher, "run", "/bin/true"],
      budget: true,
    },
    { name: "epmt stop", argv: [launcher, "stop"], budget: true },
    { name: "epmt source", argv: [launcher, "source"], budget: true },
    {
      // A home directory that cannot hold Deno's cache: the launcher
      // falls back to a private folder in TMPDIR.
      name: "epmt source, ro home",
      argv: [launcher, "source"],
      budget: true,
      env: { HOME: "/proc/epmt-no-home", TMPDIR: join(work, "scratch") },
    },
    {
      // No cache anywhere (a DENO_DIR that cannot be made): the worst case.
      name: "epmt source, no cache",
      argv: [launcher, "source"],
      budget: false,
      env: { DENO_DIR: "/proc/epmt-no-cache" },
    },
  ];
}

const times = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  const env = { ...baseEnv, SLURM_JOB_ID: `bench${Deno.pid}r${round}` };
  for (const c of cases()) {
    const t0 = performance.now();
    const r = await new Deno.Command(c.argv[0], {
      args: c.argv.slice(1),
      clearEnv: true,
      env: { ...env, ...c.env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t0;
    if (!r.success) {
      console.error(
        `FAILED: ${c.name} (exit ${r.code}): ${
          new TextDecoder().decode(r.stderr).trim()
        }`,
      );
      Deno.exit(1);
    }
    if (!times.has(c.name)) times.set(c.name, []);
    times.get(c.name)!.push(ms);
  }
}

const floor = median(times.get("deno run empty.js")!);
console.log(
  `start-up, ${rounds} rounds, load average ${
    Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
  }, ${Deno.version.deno}`,
);
console.log(
  `${"command".padEnd(22)} ${"median".padStart(8)} ${"min".padStart(8)} ${
    "max".padStart(8)
  }  x deno-floor  verdict`,
);
let over = 0;
for (const c of cases()) {
  const t = times.get(c.name)!;
  const m = median(t);
  const verdict = !c.budget
    ? "baseline"
    : m < BUDGET_MS
    ? `OK (< ${BUDGET_MS} ms)`
    : `OVER ${BUDGET_MS} ms`;
  if (c.budget && m >= BUDGET_MS) over++;
  console.log(
    `${c.name.padEnd(22)} ${ms(m)} ${ms(Math.min(...t))} ${
      ms(Math.max(...t))
    }  ${(m / floor).toFixed(2).padStart(11)}  ${verdict}`,
  );
}
await Deno.remove(scratch, { recursive: true });
Deno.exit(over ? 1 : 0);

function ms(x: number): string {
  return `${x.toFixed(1)} ms`.padStart(8);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs the real build (bundle only) into `out`; returns the folder. */
async function buildBundle(out: string): Promise<string> {
  const r = await runBuild(["--out", out, "--no-compile", "--no-tar"]);
  const text = r.stdout;
  if (r.code !== 0) {
    console.error(text + r.stderr);
    Deno.exit(1);
  }
  const folder = /^build: bundle (.+)\/ /m.exec(text)?.[1];
  if (!folder) throw new Error(`no bundle in build output:\n${text}`);
  return folder.startsWith("/") ? folder : join(Deno.cwd(), folder);
}

/**
 * `deno task bench slurm_hooks`: what the SLURM site scripts add to a job,
 * run outside SLURM with a job's variables. Each round times, for a new job
 * id, the Prolog, one TaskProlog and the Epilog (stage), and as the
 * baseline the epmt commands they wrap run directly (start; source --slurm;
 * stop; stage). Prints medians and the ratio hook / baseline.
 */
import { join } from "node:path";

const ROOT = join(new URL(".", import.meta.url).pathname, "..");
const EPMT = join(ROOT, "epmt");
const HOOKS = join(ROOT, "scripts", "slurm");
const ROUNDS = 15;

const dir = await Deno.makeTempDir({ prefix: "epmt-bench-hooks-" });
const settings = join(dir, "settings.json");
await Deno.writeTextFile(
  settings,
  JSON.stringify({ papiex_output: join(dir, "out") + "/", stage_dest: dir }),
);

function jobEnv(id: number): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/root",
    SLURM_JOB_ID: String(id),
    SLURM_JOB_NAME: "bench_hooks",
    SLURM_JOB_USER: "root",
    SLURM_JOB_UID: "0",
    SLURM_JOB_GID: "0",
    SLURM_JOB_EXIT_CODE2: "0:0",
    SLURM_JOB_WORK_DIR: dir,
    EPMT_SETTINGS: settings,
    EPMT_PAPIEX_OUTPUT: join(dir, "out") + "/",
    EPMT_SLURM_LOG: join(dir, "hooks.log"),
  };
}

async function timed(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(program, {
    args,
    env,
    clearEnv: true,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ms;
}

const phases = ["prolog", "task prolog", "epilog"] as const;
const hook: Record<string, number[]> = {};
const base: Record<string, number[]> = {};
for (const p of phases) [hook[p], base[p]] = [[], []];

if (Deno.uid() !== 0) {
  console.log("skipped: the hooks run as root (setpriv to the job's user)");
  Deno.exit(0);
}
for (let i = 0; i < ROUNDS; i++) {
  const h = jobEnv(700000 + 2 * i);
  hook["prolog"].push(await timed(join(HOOKS, "epmt-prolog"), [], h));
  hook["task prolog"].push(await timed(join(HOOKS, "epmt-task-prolog"), [], h));
  hook["epilog"].push(await timed(join(HOOKS, "epmt-epilog"), [], h));

  const b = jobEnv(700001 + 2 * i);
  base["prolog"].push(await timed(EPMT, ["start"], b));
  base["task prolog"].push(await timed(EPMT, ["source", "--slurm"], b));
  base["epilog"].push(
    (await timed(EPMT, ["stop"], b)) + (await timed(EPMT, ["stage"], b)),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.log(`median of ${ROUNDS} rounds, ms (hook vs the epmt commands alone)`);
for (const p of phases) {
  const [h, b] = [median(hook[p]), median(base[p])];
  console.log(
    `${p.padEnd(12)} hook ${h.toFixed(0).padStart(5)}  epmt ${
      b.toFixed(0).padStart(5)
    }  ratio ${(h / b).toFixed(2)}`,
  );
}
await Deno.remove(dir, { recursive: true });

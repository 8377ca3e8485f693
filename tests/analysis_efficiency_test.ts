/**
 * Allocation efficiency from the environment a job recorded: SLURM, PBS,
 * LSF and none at all, through `epmt show` on SQLite and PostgreSQL; and
 * the forms of the variables, read directly.
 */
import { assert, assertEquals } from "./assert.ts";
import { analysisJob, type P } from "./analysis_jobs.ts";
import { jsonOf, ok, withBothDbs } from "./query_helpers.ts";
import { allocationOf } from "../src/analysis/mod.ts";

const S = 1_000_000;
const MiB = 1024 * 1024;

interface Eff {
  cpu: number | null;
  memory: number | null;
  time: number | null;
  requested: {
    cores: number | null;
    cores_from: string | null;
    memory_per_node_bytes: number | null;
    time_limit_us: number | null;
  };
}

/** The value of a `Label:  value` line of show's text. */
function field(text: string, label: string): string | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${label}:`));
  return line?.slice(label.length + 1).trim();
}

function near(actual: number | null, expected: number): void {
  assert(
    actual !== null && Math.abs(actual - expected) < 1e-9,
    `${actual} is not ${expected}`,
  );
}

/** Two processes of 10 s cpu each in a 10 s job; 512 MiB held at once. */
const job: P[] = [
  { pid: 100, ppid: 1, exe: "bash", start: 0, end: 10 * S, cpu: 0, rss: 0 },
  {
    pid: 101,
    ppid: 100,
    exe: "a",
    start: 0,
    end: 10 * S,
    cpu: 10 * S,
    rss: 256 * 1024,
  },
  {
    pid: 102,
    ppid: 100,
    exe: "b",
    start: 0,
    end: 10 * S,
    cpu: 10 * S,
    rss: 256 * 1024,
  },
];

Deno.test("efficiency: SLURM, PBS, LSF and no request", async (t) => {
  await withBothDbs(t, async (env, dir) => {
    const cases: [string, Record<string, string>][] = [
      ["e_slurm", {
        SLURM_JOB_ID: "1",
        SLURM_CPUS_ON_NODE: "4",
        SLURM_JOB_NUM_NODES: "2",
        SLURM_MEM_PER_CPU: "512",
        SLURM_JOB_START_TIME: "1000",
        SLURM_JOB_END_TIME: "1040",
      }],
      ["e_tasks", {
        SLURM_NTASKS: "4",
        SLURM_CPUS_PER_TASK: "2",
        SLURM_MEM_PER_NODE: "1024",
      }],
      ["e_pbs", {
        PBS_JOBID: "7.pbs",
        PBS_NUM_NODES: "1",
        PBS_NUM_PPN: "8",
        PBS_RESC_MEM: "4gb",
        PBS_WALLTIME: "3600",
      }],
      ["e_lsf", { LSB_JOBID: "9", LSB_DJOB_NUMPROC: "5" }],
      ["e_none", {}],
    ];
    for (const [id, e] of cases) {
      await ok(["submit", await analysisJob(dir, id, job, 10 * S, e)], env);
    }
    const eff = async (id: string) =>
      (await jsonOf<{ efficiency: Eff }>(["show", id], env)).efficiency;

    const slurm = await eff("e_slurm");
    assertEquals(slurm.requested.cores, 8);
    assertEquals(
      slurm.requested.cores_from,
      "SLURM_CPUS_ON_NODE x SLURM_JOB_NUM_NODES",
    );
    assertEquals(slurm.requested.memory_per_node_bytes, 4 * 512 * MiB);
    assertEquals(slurm.requested.time_limit_us, 40 * S);
    near(slurm.cpu, 20 / 80);
    near(slurm.memory, 512 / 2048);
    near(slurm.time, 10 / 40);

    const tasks = await eff("e_tasks");
    assertEquals(tasks.requested.cores, 8);
    assertEquals(
      tasks.requested.cores_from,
      "SLURM_NTASKS x SLURM_CPUS_PER_TASK",
    );
    near(tasks.memory, 0.5);

    const pbs = await eff("e_pbs");
    assertEquals(pbs.requested.cores, 8);
    assertEquals(pbs.requested.memory_per_node_bytes, 4096 * MiB);
    assertEquals(pbs.requested.time_limit_us, 3600 * S);
    near(pbs.cpu, 0.25);
    near(pbs.memory, 0.125);
    near(pbs.time, 10 / 3600);

    const lsf = await eff("e_lsf");
    assertEquals(lsf.requested.cores, 5);
    near(lsf.cpu, 20 / 50);
    assertEquals([lsf.memory, lsf.time], [null, null]);

    const none = await eff("e_none");
    assertEquals([none.cpu, none.memory, none.time], [null, null, null]);
    assertEquals(none.requested.cores, null);
    const text = (await ok(["show", "e_none"], env)).stdout;
    const fields: [string, string][] = [
      ["Cores requested", "not requested"],
      ["CPU efficiency", "not requested (2.00 cores busy on average)"],
      ["Memory requested", "not requested"],
      ["Memory use", "512 MiB held at once on a node (not requested)"],
      ["Time limit", "not requested"],
    ];
    for (const [label, value] of fields) {
      assertEquals(field(text, label), value);
    }
    const pbsText = (await ok(["show", "e_pbs"], env)).stdout;
    assertEquals(
      field(pbsText, "Cores requested"),
      "8 (PBS_NUM_NODES x PBS_NUM_PPN)",
    );
    assertEquals(
      field(pbsText, "Memory requested"),
      "4.00 GiB per node (PBS_RESC_MEM)",
    );
    assertEquals(
      field(pbsText, "Time limit"),
      "1h00m (PBS_WALLTIME), 0.3% used",
    );
  });
});

Deno.test("efficiency: the forms of the variables", async (t) => {
  const cases: [
    Record<string, string>,
    number | null,
    number | null,
    number | null,
  ][] = [
    // env, cores, memory per node (MiB), time limit (s)
    [{ SLURM_JOB_CPUS_PER_NODE: "8(x2),4" }, 20, null, null],
    [
      { SLURM_CPUS_ON_NODE: "16", SLURM_TIMELIMIT: "1-02:00:00" },
      16,
      null,
      26 * 3600,
    ],
    [{ SLURM_NTASKS: "3", SBATCH_TIMELIMIT: "90" }, 3, null, 5400],
    [
      { PBS_NP: "12", PBS_RESC_MEM: "2048mb", PBS_WALLTIME: "01:30:00" },
      12,
      2048,
      5400,
    ],
    [{ PBS_JOBID: "1", NCPUS: "6", PBS_RESC_MEM: "1073741824" }, 6, 1024, null],
    // NCPUS outside a PBS job is no request.
    [{ NCPUS: "6" }, null, null, null],
    [{ SLURM_CPUS_ON_NODE: "x", PBS_WALLTIME: "soon" }, null, null, null],
  ];
  for (const [env, cores, mem, limit] of cases) {
    await t.step(JSON.stringify(env), () => {
      const a = allocationOf(env);
      assertEquals(a.cores, cores);
      assertEquals(
        a.memory_per_node_bytes === null ? null : a.memory_per_node_bytes / MiB,
        mem,
      );
      assertEquals(
        a.time_limit_us === null ? null : a.time_limit_us / S,
        limit,
      );
    });
  }
});

/**
 * What a job asked its batch system for, read from the environment it
 * recorded at start (jobs.env): cores, memory and time limit, each with the
 * variables it came from. Anything the environment does not tell is null
 * ("not requested").
 */

/** A job's request; null where the environment does not tell. */
export interface Allocation {
  cores: number | null;
  /** The variables the cores came from, e.g. "SLURM_CPUS_ON_NODE x SLURM_JOB_NUM_NODES". */
  cores_from: string | null;
  nodes: number | null;
  /** Memory per node, bytes. */
  memory_per_node_bytes: number | null;
  memory_from: string | null;
  time_limit_us: number | null;
  time_limit_from: string | null;
}

type Env = Record<string, unknown>;

/**
 * The allocation recorded in `env` (SLURM, PBS/Torque/PBS Pro, LSF).
 *
 * @example
 * allocationOf({ SLURM_CPUS_ON_NODE: "8", SLURM_JOB_NUM_NODES: "2" }).cores; // 16
 */
export function allocationOf(env: Env): Allocation {
  const nodes = firstInt(env, [
    "SLURM_JOB_NUM_NODES",
    "SLURM_NNODES",
    "PBS_NUM_NODES",
  ]);
  const cores = coresOf(env);
  const memory = memoryOf(env, cores.perNode);
  const limit = timeLimitOf(env);
  return {
    cores: cores.value,
    cores_from: cores.from,
    nodes: nodes?.value ?? null,
    memory_per_node_bytes: memory?.value ?? null,
    memory_from: memory?.from ?? null,
    time_limit_us: limit?.value ?? null,
    time_limit_from: limit?.from ?? null,
  };
}

interface Found {
  value: number;
  from: string;
}

function int(env: Env, name: string): number | null {
  const v = env[name];
  const text = typeof v === "number" ? String(v) : v;
  if (typeof text !== "string" || !/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return n > 0 ? n : null;
}

function firstInt(env: Env, names: string[]): Found | null {
  for (const name of names) {
    const v = int(env, name);
    if (v !== null) return { value: v, from: name };
  }
  return null;
}

function coresOf(
  env: Env,
): { value: number | null; from: string | null; perNode: number | null } {
  const none = { value: null, from: null, perNode: null };
  // SLURM
  const onNode = int(env, "SLURM_CPUS_ON_NODE");
  const nodes = firstInt(env, ["SLURM_JOB_NUM_NODES", "SLURM_NNODES"]);
  if (onNode !== null) {
    return nodes
      ? {
        value: onNode * nodes.value,
        from: `SLURM_CPUS_ON_NODE x ${nodes.from}`,
        perNode: onNode,
      }
      : { value: onNode, from: "SLURM_CPUS_ON_NODE", perNode: onNode };
  }
  const perNodeList = slurmCpusPerNode(env.SLURM_JOB_CPUS_PER_NODE);
  if (perNodeList !== null) {
    return {
      value: perNodeList.total,
      from: "SLURM_JOB_CPUS_PER_NODE",
      perNode: perNodeList.first,
    };
  }
  const tasks = int(env, "SLURM_NTASKS") ?? int(env, "SLURM_NPROCS");
  if (tasks !== null) {
    const perTask = int(env, "SLURM_CPUS_PER_TASK");
    return {
      value: tasks * (perTask ?? 1),
      from: perTask === null
        ? "SLURM_NTASKS"
        : "SLURM_NTASKS x SLURM_CPUS_PER_TASK",
      perNode: null,
    };
  }
  // PBS: Torque's PBS_NP, PBS_NUM_NODES x PBS_NUM_PPN; PBS Pro's NCPUS.
  const np = int(env, "PBS_NP");
  if (np !== null) return { value: np, from: "PBS_NP", perNode: null };
  const pbsNodes = int(env, "PBS_NUM_NODES");
  const ppn = int(env, "PBS_NUM_PPN");
  if (pbsNodes !== null && ppn !== null) {
    return {
      value: pbsNodes * ppn,
      from: "PBS_NUM_NODES x PBS_NUM_PPN",
      perNode: ppn,
    };
  }
  const pbsJob = env.PBS_JOBID !== undefined || env.PBS_JOB_ID !== undefined;
  const ncpus = firstInt(env, ["PBS_NCPUS", ...(pbsJob ? ["NCPUS"] : [])]);
  if (ncpus !== null) {
    const n = pbsNodes ?? 1;
    return {
      value: ncpus.value * n,
      from: pbsNodes === null ? ncpus.from : `${ncpus.from} x PBS_NUM_NODES`,
      perNode: ncpus.value,
    };
  }
  // LSF
  const lsf = firstInt(env, ["LSB_DJOB_NUMPROC", "LSB_MAX_NUM_PROCESSORS"]);
  if (lsf !== null) return { value: lsf.value, from: lsf.from, perNode: null };
  return none;
}

/** SLURM_JOB_CPUS_PER_NODE: "8(x2),4" is 8 on two nodes and 4 on one. */
function slurmCpusPerNode(
  v: unknown,
): { total: number; first: number } | null {
  if (typeof v !== "string" || v.trim() === "") return null;
  let total = 0;
  let first = 0;
  for (const part of v.split(",")) {
    const m = part.trim().match(/^(\d+)(?:\(x(\d+)\))?$/);
    if (!m) return null;
    const each = Number(m[1]);
    if (first === 0) first = each;
    total += each * (m[2] === undefined ? 1 : Number(m[2]));
  }
  return total > 0 ? { total, first } : null;
}

const MB = 1024 * 1024;

function memoryOf(env: Env, coresPerNode: number | null): Found | null {
  const perNode = int(env, "SLURM_MEM_PER_NODE");
  if (perNode !== null) {
    return { value: perNode * MB, from: "SLURM_MEM_PER_NODE" };
  }
  const perCpu = int(env, "SLURM_MEM_PER_CPU");
  if (perCpu !== null && coresPerNode !== null) {
    return {
      value: perCpu * MB * coresPerNode,
      from: "SLURM_MEM_PER_CPU x SLURM_CPUS_ON_NODE",
    };
  }
  for (const name of ["PBS_RESC_MEM", "PBS_MEM"]) {
    const bytes = pbsSize(env[name]);
    if (bytes !== null) return { value: bytes, from: name };
  }
  return null;
}

/** A PBS size: bytes, or a number with b, kb, mb, gb, tb (binary). */
function pbsSize(v: unknown): number | null {
  if (typeof v !== "string") return null;
  const m = v.trim().toLowerCase().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)(b|w)?$/);
  if (!m) return null;
  const scale = { "": 1, k: 1024, m: MB, g: MB * 1024, t: MB * MB }[
    m[2] as "" | "k" | "m" | "g" | "t"
  ];
  const n = Number(m[1]) * scale * (m[3] === "w" ? 8 : 1);
  return n > 0 ? Math.round(n) : null;
}

function timeLimitOf(env: Env): Found | null {
  const pbs = duration(env.PBS_WALLTIME, "seconds");
  if (pbs !== null) return { value: pbs, from: "PBS_WALLTIME" };
  const start = int(env, "SLURM_JOB_START_TIME");
  const end = int(env, "SLURM_JOB_END_TIME");
  if (start !== null && end !== null && end > start) {
    return {
      value: (end - start) * 1e6,
      from: "SLURM_JOB_END_TIME - SLURM_JOB_START_TIME",
    };
  }
  for (const name of ["SLURM_TIMELIMIT", "SBATCH_TIMELIMIT"]) {
    const v = duration(env[name], "minutes");
    if (v !== null) return { value: v, from: name };
  }
  return null;
}

/**
 * A time limit in µs: a bare number (in `unit`), or SLURM's forms
 * "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (PBS: "HH:MM:SS").
 */
export function duration(
  v: unknown,
  unit: "seconds" | "minutes",
): number | null {
  if (typeof v !== "string" && typeof v !== "number") return null;
  const text = String(v).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text) * (unit === "minutes" ? 60 : 1);
    return n > 0 ? n * 1e6 : null;
  }
  const m = text.match(/^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/);
  if (!m) return null;
  const [days, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) =>
    x === undefined ? undefined : Number(x)
  );
  let seconds: number;
  if (days !== undefined) {
    seconds = days * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  } else if (c !== undefined) seconds = a! * 3600 + b! * 60 + c;
  else if (b !== undefined) {
    seconds = unit === "minutes" ? a! * 60 + b : a! * 3600 + b * 60;
  } else return null;
  return seconds > 0 ? seconds * 1e6 : null;
}

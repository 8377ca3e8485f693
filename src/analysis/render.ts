/**
 * The analyses for people (aligned text with units) and for scripts (plain
 * records, µs, KiB and bytes, units in the names).
 */
import {
  humanBytes,
  humanCount,
  humanDuration,
  humanRatio,
  shorten,
} from "../query/mod.ts";
import { renderTable } from "../query/mod.ts";
import type { Step } from "./critical.ts";
import type { Efficiency } from "./efficiency.ts";
import type { Ops } from "./ops.ts";
import type { Verdict } from "./verdict.ts";

const pct = (f: number | null | undefined) =>
  f === null || f === undefined || !Number.isFinite(f)
    ? "-"
    : f < 0.1 && f > 0
    ? `${(f * 100).toFixed(1)}%`
    : `${Math.round(f * 100)}%`;

/** A verdict on one line: "cpu-bound: processes were ... (also: ...)". */
export function verdictText(v: Verdict): string {
  const also = v.also.length ? ` (also ${v.also.join(", ")})` : "";
  return `${v.kind}: ${v.reason}${also}`;
}

/** The label/value lines `show` prints about the allocation. */
export function efficiencyFields(e: Efficiency): [string, string][] {
  const r = e.requested;
  const NOT = "not requested";
  const busy = e.used.busy_cores === null
    ? "-"
    : `${humanRatio(e.used.busy_cores)} cores busy on average`;
  const held = `${
    humanBytes(e.used.memory_peak_kib * 1024)
  } held at once on a node`;
  return [
    [
      "Cores requested",
      r.cores === null ? NOT : `${humanCount(r.cores)} (${r.cores_from})`,
    ],
    [
      "CPU efficiency",
      e.cpu === null ? `${NOT} (${busy})` : `${pct(e.cpu)} (${busy})`,
    ],
    [
      "Memory requested",
      r.memory_per_node_bytes === null
        ? NOT
        : `${humanBytes(r.memory_per_node_bytes)} per node (${r.memory_from})`,
    ],
    [
      "Memory use",
      e.memory === null
        ? `${held} (${NOT})`
        : `${pct(e.memory)} of the request (${held})`,
    ],
    [
      "Time limit",
      r.time_limit_us === null
        ? NOT
        : `${humanDuration(r.time_limit_us)} (${r.time_limit_from}), ${
          pct(e.time)
        } used`,
    ],
  ];
}

/** The efficiency for --json: fractions, µs, bytes; null for not requested. */
export function efficiencyRecord(e: Efficiency): Record<string, unknown> {
  return {
    cpu: e.cpu,
    memory: e.memory,
    time: e.time,
    requested: { ...e.requested },
    used: { ...e.used },
  };
}

/** The verdict for --json. */
export function verdictRecord(v: Verdict): Record<string, unknown> {
  return {
    kind: v.kind,
    reason: v.reason,
    also: v.also,
    numbers: { ...v.numbers },
  };
}

/** One op for --json. */
export function opRecord(o: Ops["ops"][number]): Record<string, unknown> {
  const { verdict, ...rest } = o;
  return { ...rest, verdict: verdictRecord(verdict) };
}

/** `epmt ops` for --json. */
export function opsRecord(jobid: string, ops: Ops): Record<string, unknown> {
  return {
    jobid,
    by: ops.by,
    grouping: ops.grouping,
    job_wall_us: ops.job_wall_us,
    job_cpu_us: ops.job_cpu_us,
    ops: ops.ops.map(opRecord),
  };
}

/** `epmt ops` for people: one aligned row per op, then the verdicts. */
export function opsText(jobid: string, ops: Ops): string {
  const head = ops.grouping === "tag"
    ? `Job ${jobid}: ops by process tag ${ops.by}`
    : `Job ${jobid}: no process has tag ${ops.by}; steps of the job script (its top-level commands)`;
  if (ops.ops.length === 0) return `${head}\nno processes`;
  const table = renderTable(
    [
      { title: ops.grouping === "tag" ? "OP" : "STEP" },
      { title: "PROCS", align: "right" },
      { title: "WALL", align: "right" },
      { title: "%WALL", align: "right" },
      { title: "CPU", align: "right" },
      { title: "%CPU", align: "right" },
      { title: "READ", align: "right" },
      { title: "WRITTEN", align: "right" },
      { title: "BLKIO", align: "right" },
      { title: "WAITING", align: "right" },
      { title: "PEAK RSS", align: "right" },
      { title: "VERDICT" },
    ],
    ops.ops.map((o) => [
      shorten(o.op, 48),
      humanCount(o.procs),
      humanDuration(o.wall_us),
      pct(o.share_wall),
      humanDuration(o.cpu_us),
      pct(o.share_cpu),
      humanBytes(o.read_bytes),
      humanBytes(o.write_bytes),
      humanDuration(o.blkio_us),
      humanDuration(o.time_waiting_us),
      humanBytes(o.rssmax_peak_kib * 1024),
      o.verdict.kind,
    ]),
  );
  const why = ops.ops.map((o) =>
    `  ${shorten(o.op, 48)}: ${verdictText(o.verdict)}`
  );
  return [
    head,
    `job wall ${humanDuration(ops.job_wall_us)}, cpu ${
      humanDuration(ops.job_cpu_us)
    }; WALL counts overlapping processes once, WAITING is time runnable ` +
    `but waiting for a CPU`,
    "",
    table,
    "",
    "Verdicts:",
    ...why,
  ].join("\n");
}

/** The critical path for --json. */
export function criticalRecord(
  jobid: string,
  jobWallUs: number,
  steps: readonly Step[],
): Record<string, unknown> {
  return {
    jobid,
    job_wall_us: jobWallUs,
    steps: steps.map((s) => ({
      pid: s.pid,
      idx: s.idx,
      host: s.host,
      exename: s.exename,
      args: s.args,
      level: s.level,
      start_us: s.start_us,
      end_us: s.end_us,
      wall_us: s.wall_us,
      self_us: s.self_us,
      share: s.share,
    })),
  };
}

/**
 * The critical path for people: one line per step, indented by level;
 * runs of steps of the same executable one after another (without
 * children on the path) are one line with a count, and how many different
 * args they had.
 */
export function criticalText(
  jobid: string,
  jobWallUs: number,
  steps: readonly Step[],
): string {
  if (steps.length === 0) return `Job ${jobid}: no processes`;
  let t0 = Infinity;
  for (const s of steps) if (s.level === 0 && s.start_us < t0) t0 = s.start_us;
  const rows: string[][] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    let j = i + 1;
    let wall = s.wall_us;
    let self = s.self_us;
    const leaf = (k: number) =>
      k + 1 >= steps.length || steps[k + 1].level <= steps[k].level;
    const variants = new Set([s.args]);
    if (leaf(i)) {
      // Runs of the same executable one after another are one line.
      while (
        j < steps.length && steps[j].level === s.level && leaf(j) &&
        steps[j].exename === s.exename
      ) {
        variants.add(steps[j].args);
        wall += steps[j].wall_us;
        self += steps[j].self_us;
        j++;
      }
    }
    const count = j - i;
    const cmd = variants.size > 1
      ? `${shorten(s.exename, 40)} …`
      : shorten(s.args === "" ? s.exename : `${s.exename} ${s.args}`, 50);
    const kinds = variants.size > 1
      ? ` (${humanCount(variants.size)} variants)`
      : "";
    rows.push([
      "  ".repeat(s.level) + cmd + (count > 1 ? ` ×${humanCount(count)}` : "") +
      kinds,
      count > 1 ? `${s.pid}…` : String(s.pid),
      `+${humanDuration(s.start_us - t0)}`,
      humanDuration(wall),
      pct(jobWallUs > 0 ? wall / jobWallUs : null),
      humanDuration(self),
    ]);
    i = j - 1;
  }
  return [
    `Job ${jobid}: critical path (${humanCount(steps.length)} ${
      steps.length === 1 ? "process" : "processes"
    } the ` +
    `wall time of ${humanDuration(jobWallUs)} waited on)`,
    "",
    renderTable(
      [
        { title: "PROCESS" },
        { title: "PID", align: "right" },
        { title: "START", align: "right" },
        { title: "WALL", align: "right" },
        { title: "SHARE", align: "right" },
        { title: "SELF", align: "right" },
      ],
      rows,
    ),
    "",
    "SELF: time the process ran with none of its children on the path running.",
  ].join("\n");
}

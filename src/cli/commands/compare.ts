import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt compare`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "compare",
  summary: "compare two jobs side by side",
  synopsis: ["JOB_A JOB_B [--by exe|TAGKEY] [--limit N] [--json]"],
  description:
    `Puts two jobs side by side: wall time, cpu time, processes, threads, peak
memory, I/O and every other summed metric, with the ratio B/A; then their
processes grouped by executable, or by the value of a process tag
(--by op groups by PAPIEX_TAGS op:...), with counts and cpu time side by
side, the biggest cpu change first.`,
  positionals: [
    { name: "JOB_A", help: "the job compared against" },
    { name: "JOB_B", help: "the job compared with it" },
  ],
  options: [
    {
      long: "by",
      type: "string",
      value: "KEY",
      default: "exe",
      help: "exe or a process tag key",
    },
    {
      long: "limit",
      short: "l",
      type: "int",
      value: "N",
      default: 20,
      help: "at most N groups (0: all)",
    },
    {
      long: "json",
      type: "flag",
      help: "raw values for scripts (units in the names)",
    },
  ],
  notes: `example:
  epmt compare 4711 4712 --by op`,
});

/** `epmt compare`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  if (positional.length !== 2) {
    throw new UsageError("compare: name two jobs, JOB_A and JOB_B");
  }
  const { limit, by } = opts;
  if (by === "") throw new UsageError("compare: --by wants exe or a tag key");
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const cmp = await import("../../query/mod.ts");
  const { Writer } = await import("../../query/mod.ts");
  const { renderJson } = await import("../../query/mod.ts");
  return await withStore(ctx.settings, async (store) => {
    const [a, b] = await requireJobs(store, positional);
    const c = await cmp.compareJobs(store, a, b ?? a, by);
    const w = new Writer();
    w.line(
      opts.json
        ? renderJson(cmp.comparisonRecord(c))
        : cmp.comparisonText(c, limit),
    );
    w.flush();
    return 0;
  });
}

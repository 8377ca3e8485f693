import type { Context } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { intOption, parseOptions } from "../../query/args.ts";

export const usage =
  `epmt compare JOB_A JOB_B [--by exe|TAGKEY] [--limit N] [--json]

Puts two jobs side by side: wall time, cpu time, processes, threads, peak
memory, I/O and every other summed metric, with the ratio B/A; then their
processes grouped by executable, or by the value of a process tag
(--by op groups by PAPIEX_TAGS op:...), with counts and cpu time side by
side, the biggest cpu change first.

  --by KEY     exe (default) or a process tag key
  --limit N    at most N groups (default 20; 0: all)
  --json       raw values for scripts (units in the names)`;

const SPEC = { by: "value", limit: "value", json: "flag" } as const;

/** `epmt compare`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = parseOptions("compare", args, SPEC);
  if (positional.length !== 2) {
    throw new UsageError("compare: name two jobs, JOB_A and JOB_B");
  }
  const limit = intOption("compare", "limit", opts.limit, 20);
  const by = opts.by ?? "exe";
  if (by === "") throw new UsageError("compare: --by wants exe or a tag key");
  const { withStore, requireJobs } = await import("../../query/store.ts");
  const cmp = await import("../../query/compare.ts");
  const { Writer } = await import("../../query/output.ts");
  const { renderJson } = await import("../../query/table.ts");
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

import type { Context } from "../context.ts";
import { UsageError, UserError } from "../../errors.ts";
import { defineCommand } from "../options.ts";
import { ioReason, print, writeAllSync } from "../../io.ts";

/** The table of `epmt report`. */
export const command = defineCommand({
  name: "report",
  summary: "write a job's report: one self-contained HTML file",
  synopsis: [
    "JOBID [-o FILE.html] [--json]",
    "--compare JOBID JOBID [-o FILE.html]",
  ],
  description:
    `Writes one HTML file about a job that opens in any browser without
network access (the chart library, styles and data are inside it): the
job's header, a timeline of its processes grouped by op or executable,
where the cpu and wall time went per op and per executable, the process
tree (inclusive cpu) and its metrics. Mail it or attach it to a ticket.
Jobs with many processes are drawn in part (the longest ones) and the page
says so; the file stays under 3 MB.`,
  positionals: [{
    name: "JOBID",
    variadic: true,
    help: "the job (with --compare: the two jobs)",
  }],
  options: [
    {
      long: "output",
      short: "o",
      type: "string",
      value: "FILE",
      help: "where to write (default <jobid>.html, or <a>_vs_<b>.html, in " +
        "the current directory; - for standard output)",
    },
    {
      long: "compare",
      type: "flag",
      help: "two jobs side by side, with their metrics against each other",
    },
    {
      long: "json",
      type: "flag",
      help: "print the report's data as JSON instead (µs, KiB, bytes)",
    },
  ],
  notes: `Examples:
  epmt report 4242                 writes ./4242.html
  epmt report 4242 -o /tmp/r.html
  epmt report --compare 4242 4243  writes ./4242_vs_4243.html
'epmt serve' shows the same pages for every job in the database.`,
});

/** `epmt report`. */
export async function run(ctx: Context, args: string[]): Promise<number> {
  const { opts, positional } = ctx.parse(command, args);
  const want = opts.compare ? 2 : 1;
  if (positional.length !== want) {
    throw new UsageError(
      opts.compare
        ? "report --compare: name two JOBIDs"
        : positional.length === 0
        ? "report: name a JOBID"
        : "report: one JOBID (two with --compare)",
    );
  }
  if (opts.json && opts.compare) {
    throw new UsageError("report: --json goes with one JOBID");
  }
  const { withStore, requireJobs } = await import("../../query/mod.ts");
  const report = await import("../../report/mod.ts");
  const out = await withStore(ctx.settings, async (store) => {
    await requireJobs(store, positional, "jobid");
    const data = [];
    for (const id of positional) {
      const d = await report.loadReport(store, id, report.reportExtras);
      if (!d) throw new UserError(`job ${id} is not in the database`);
      data.push(d);
    }
    return data;
  });
  if (opts.json) {
    print(JSON.stringify(out[0], null, 1));
    return 0;
  }
  const html = out.length === 2
    ? report.comparePage(out[0], out[1])
    : report.reportPage(out[0]);
  const file = opts.output ??
    positional.map(safeName).join("_vs_") + ".html";
  const bytes = new TextEncoder().encode(html);
  if (file === "-") {
    writeAllSync(Deno.stdout, bytes, "standard output");
    return 0;
  }
  const mb = (bytes.length / 1e6).toFixed(2);
  if (ctx.flags.dryRun) {
    print(`would write ${file} (${mb} MB)`);
    return 0;
  }
  await writeAtomically(file, bytes);
  print(`wrote ${file} (${mb} MB)`);
  return 0;
}

/** A job id as a file name: anything but letters, digits, . _ - becomes _. */
function safeName(jobid: string): string {
  return jobid.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

/** Writes beside the target and renames: a reader never sees half a file. */
async function writeAtomically(
  file: string,
  bytes: Uint8Array,
): Promise<void> {
  const tmp = `${file}.${Deno.pid}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new UserError(`report: cannot write ${file}: ${ioReason(e)}`);
  }
}

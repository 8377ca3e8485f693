import type { CommandModule } from "./context.ts";
import { UsageError } from "../errors.ts";
import { suggestion } from "./suggest.ts";

interface Entry {
  summary: string;
  /** Loaded only when the command runs, to keep start-up small. */
  load: () => Promise<CommandModule>;
}

/** Every command, in the order the usage text lists them. */
export const COMMANDS: Record<string, Entry> = {
  start: {
    summary: "record the start of the current batch job",
    load: () => import("./commands/start.ts"),
  },
  run: {
    summary: "run a command under the collector (-a: start, run, stop)",
    load: () => import("./commands/run.ts"),
  },
  stop: {
    summary: "record the end of the job and write job_metadata",
    load: () => import("./commands/stop.ts"),
  },
  source: {
    summary: "print the environment to export for collection",
    load: () => import("./commands/source.ts"),
  },
  stage: {
    summary: "archive a stopped job's directory to <jobid>.tgz",
    load: () => import("./commands/stage.ts"),
  },
  dump: {
    summary: "print the metadata of a job directory or archive",
    load: () => import("./commands/dump.ts"),
  },
  submit: {
    summary: "load job directories or archives into the database",
    load: () => import("./commands/submit.ts"),
  },
  list: {
    summary: "list jobs, or the processes of a job",
    load: () => import("./commands/list.ts"),
  },
  show: {
    summary:
      "summarise one job (--tree: its process tree; --critical: its critical path)",
    load: () => import("./commands/show.ts"),
  },
  ops: {
    summary: "where a job's time went, op by op (or step by step)",
    load: () => import("./commands/ops.ts"),
  },
  export: {
    summary: "write jobs, processes or threads as JSON or CSV",
    load: () => import("./commands/export.ts"),
  },
  compare: {
    summary: "compare two jobs side by side",
    load: () => import("./commands/compare.ts"),
  },
  outliers: {
    summary: "find jobs whose features stand out among comparable jobs",
    load: () => import("./commands/outliers.ts"),
  },
  report: {
    summary: "write a job's report: one self-contained HTML file",
    load: () => import("./commands/report.ts"),
  },
  serve: {
    summary: "a read-only web UI over the database",
    load: () => import("./commands/serve.ts"),
  },
  refmodel: {
    summary: "reference models of known-good jobs (create, list, show, delete)",
    load: () => import("./commands/refmodel.ts"),
  },
  rca: {
    summary: "rank what makes a job differ from a reference (root cause)",
    load: () => import("./commands/rca.ts"),
  },
  analyze: {
    summary: "(re)run the analysis stored with jobs",
    load: () => import("./commands/analyze.ts"),
  },
  annotate: {
    summary: "attach key=value annotations to a job",
    load: () => import("./commands/annotate.ts"),
  },
  delete: {
    summary: "delete jobs from the database",
    load: () => import("./commands/delete.ts"),
  },
  retire: {
    summary: "delete old jobs, or old jobs' processes (retention policy)",
    load: () => import("./commands/retire.ts"),
  },
  dbsize: {
    summary: "rows and bytes on disk per table, and the database total",
    load: () => import("./commands/dbsize.ts"),
  },
  daemon: {
    summary:
      "load every job dropped into a folder, exactly once (ingest daemon)",
    load: () => import("./commands/daemon.ts"),
  },
  check: {
    summary: "verify this installation",
    load: () => import("./commands/check.ts"),
  },
  completion: {
    summary: "print a shell completion script (bash)",
    load: () => import("./commands/completion.ts"),
  },
  help: {
    summary: "print this usage and the active settings",
    load: () => import("./commands/help.ts"),
  },
};

/** One line naming the unknown command and the nearest known one. */
export function unknownCommand(name: string): UsageError {
  const e = new UsageError(
    `unknown command ${name}${
      suggestion(name, Object.keys(COMMANDS))
    }; 'epmt help' lists the commands`,
  );
  e.oneLine = true;
  return e;
}

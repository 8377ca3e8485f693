/**
 * After `epmt stop` (and `epmt -a run`), with the setting job_summary on:
 * a few lines about the job on stderr, for the job's own log. Never fails
 * the stop: a summary that cannot be made is one warning.
 */
import * as log from "../log.ts";
import type { Settings } from "../settings/mod.ts";

/** Prints the summary of the stopped job in `dir` when the settings ask. */
export async function printJobSummary(
  settings: Settings,
  dir: string,
): Promise<void> {
  if (!settings.job_summary) return;
  try {
    const { stopSummary } = await import("../analysis/mod.ts");
    const lines = await stopSummary(dir, settings.input_pattern);
    console.error(lines.map((l) => `epmt: ${l}`).join("\n"));
  } catch (e) {
    log.warning(
      `no job summary: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * The daemon's daily retire (--retire): the retention settings applied at
 * most once a day, the time of the last one kept in the drop folder so a
 * restarted daemon or a cron job of `daemon --once` keeps the rhythm.
 */
import { join } from "node:path";
import type { Store } from "../db/mod.ts";
import type { Settings } from "../settings/mod.ts";
import { STATE } from "./drop_folder.ts";
import { policyFromSettings } from "./cutoff.ts";
import { retire } from "./retire.ts";
import { reportText } from "./retire_text.ts";

const DAY_MS = 86_400_000;

interface State {
  last_retire_us?: number;
}

async function readState(dir: string): Promise<State> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, STATE))) as State;
  } catch {
    return {};
  }
}

/**
 * Retires by the settings if the last retire from this folder is a day
 * old or more; logs one line of what went (or why nothing can).
 */
export async function retireIfDue(
  store: Store,
  dir: string,
  settings: Settings,
  log: (line: string) => void,
): Promise<void> {
  const state = await readState(dir);
  const now = Date.now();
  if (state.last_retire_us && now - state.last_retire_us / 1000 < DAY_MS) {
    return;
  }
  const policy = policyFromSettings(settings, now * 1000);
  if (
    policy.jobsBeforeUs === undefined && policy.procsBeforeUs === undefined
  ) {
    log(
      "retire: nothing to do, retire_jobs_ndays and retire_procs_ndays are 0 (keep everything)",
    );
  } else {
    const report = await retire(store, policy, { nowUs: now * 1000 });
    log(`retire: ${reportText(report).replaceAll("\n", "; ")}`);
  }
  state.last_retire_us = now * 1000;
  await Deno.writeTextFile(join(dir, STATE), JSON.stringify(state) + "\n");
}

import type { Context } from "../context.ts";
import { UserError } from "../../errors.ts";
import { closestKey, defaults, type Settings } from "../../settings/mod.ts";
import {
  checkCollector,
  checkDatabase,
  checkEvents,
  checkOptions,
  checkOutputDir,
  checkParanoid,
  type CheckResult,
  checkTestJob,
  fail,
  formatResult,
  pass,
} from "../../check/mod.ts";
import { papiexOptions } from "../../job/mod.ts";
import { print } from "../../io.ts";
import { defineCommand } from "../options.ts";

/** The table of `epmt check`: parser, help and completion come from it. */
export const command = defineCommand({
  name: "check",
  summary: "verify this installation",
  description:
    `Verifies this installation and prints one line per check: OK, or FAIL with
what to do about it. Checks the settings file, the collector library (present
and loadable), papiex_options, perf_event_paranoid and the events that can be
counted here, that papiex_output is writable, that the database is reachable
(and its schema version), and that a tiny 'epmt -a run' job produces data.
The test job writes into a scratch directory that is removed afterwards.`,
  options: [],
  notes: `Exit status: 0 when every check passed, 1 otherwise.`,
});

/** Names are padded to this width so the lines of output align. */
const WIDTH = "perf_event_paranoid".length;

export async function run(ctx: Context, args: string[]): Promise<number> {
  ctx.parse(command, args);
  let failed = 0;
  const report = (r: CheckResult) => {
    if (!r.ok) failed++;
    print(formatResult(r, WIDTH));
  };

  const { result: settingsResult, settings } = checkSettings(ctx);
  report(settingsResult);
  const { result, collector } = await checkCollector(settings.install_prefix);
  report(result);
  const options = papiexOptions(collector, settings.papiex_options);
  report(await checkOptions(collector, options));
  report(await checkParanoid(Deno.uid() === 0));
  report(await checkEvents(collector, options));
  report(await checkOutputDir(settings.papiex_output));
  report(await checkDatabase(settings));
  report(await checkTestJob(ctx.env));
  return failed ? 1 : 0;
}

/** The settings file parses; the rest of the checks use built-in defaults if not. */
function checkSettings(
  ctx: Context,
): { result: CheckResult; settings: Settings } {
  try {
    const { file, overrides, settings, unknown } = ctx.loaded;
    if (unknown.length > 0) {
      const hints = unknown.map((k) => {
        const near = closestKey(k);
        return near ? `${k} (did you mean ${near}?)` : k;
      });
      return {
        result: fail(
          "settings",
          `${file}: unknown key${unknown.length > 1 ? "s" : ""} ${
            hints.join(", ")
          }, ignored`,
          "correct or remove it ('epmt help' lists the keys)",
        ),
        settings,
      };
    }
    const from = file
      ? `${file} parsed`
      : "no settings file, built-in defaults";
    const env = overrides.length
      ? `, overridden by ${overrides.join(" ")}`
      : "";
    return { result: pass("settings", from + env), settings };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return {
      result: fail(
        "settings",
        e.message,
        "correct the file or variable it names (the other checks use the built-in defaults)",
      ),
      settings: defaults(),
    };
  }
}

/**
 * The daemon's --analyze: `epmt analyze` of each loaded job (src/analysis),
 * for jobs loaded with analyze_on_submit off or analysed before a reference
 * model existed.
 */
import type { Store } from "../db/mod.ts";

/** Analyses one stored job; resolves to a few words for the log line. */
export type Analyzer = (store: Store, jobid: string) => Promise<string>;

/** The analyzer (loaded on demand: most daemon runs do not ask for it). */
export async function loadAnalyzer(): Promise<Analyzer> {
  const { reanalyze } = await import("../analysis/mod.ts");
  return async (store, jobid) => {
    const [job] = await store.query("SELECT * FROM jobs WHERE jobid = ?", [
      jobid,
    ]);
    const o = await reanalyze(store, job);
    return o.error
      ? `analysis failed: ${o.error}`
      : `analyzed: ${o.verdict ?? "no verdict"}, ${o.flags} flag${
        o.flags === 1 ? "" : "s"
      }`;
  };
}

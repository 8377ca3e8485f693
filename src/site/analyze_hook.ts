/**
 * The daemon's --analyze: `epmt analyze` of each loaded job, when this epmt
 * has the analysis module (src/analysis/, built separately). It is looked
 * up at run time so the daemon works with or without it.
 * TODO(lead): once src/analysis/mod.ts is on main, import it by a literal
 * specifier so the bundle carries it.
 */
import type { Row, Store } from "../db/mod.ts";

/** Analyses one stored job; resolves to a few words for the log line. */
export type Analyzer = (store: Store, jobid: string) => Promise<string>;

interface Outcome {
  verdict: string | null;
  flags: number;
  error: string | null;
}

/** The analyzer, or undefined when this epmt has none. */
export async function loadAnalyzer(): Promise<Analyzer | undefined> {
  const spec = "../analysis/mod.ts";
  let mod: { reanalyze?: (store: Store, job: Row) => Promise<Outcome> };
  try {
    mod = await import(spec);
  } catch {
    return undefined;
  }
  const reanalyze = mod.reanalyze;
  if (typeof reanalyze !== "function") return undefined;
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

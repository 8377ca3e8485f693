/**
 * Running epmt at a site: retention (`retire`), the size of the database
 * (`dbsize`) and the ingest daemon (`daemon`). The CLI commands of the same
 * names are thin wrappers around these.
 */
export {
  retire,
  type RetireOptions,
  type RetirePolicy,
  type RetireReport,
} from "./retire.ts";
export { cutoffFromDays, parseDate, policyFromSettings } from "./cutoff.ts";
export { reportJson, reportText } from "./retire_text.ts";
export {
  type DbSize,
  dbSize,
  dbSizeJson,
  dbSizeText,
  type TableSize,
} from "./dbsize.ts";
export { type DaemonOptions, type DaemonSummary, runDaemon } from "./daemon.ts";
export { type Analyzer, loadAnalyzer } from "./analyze_hook.ts";

/**
 * Job reports: one self-contained HTML file per job (or two jobs side by
 * side) with a timeline, where the time went, the process tree and the
 * metrics. `epmt report` writes them; `epmt serve` serves the same pages.
 *
 * @example
 * const data = await loadReport(store, "123");
 * if (data) await Deno.writeTextFile("123.html", reportPage(data));
 */
export {
  type Band,
  type Extras,
  type ExtrasSource,
  type Gantt,
  type GroupSum,
  type JobHeader,
  loadReport,
  MAX_GANTT,
  type MetricRow,
  type ReportData,
  type TreeNode,
} from "./data.ts";
export {
  comparePage,
  esc,
  page,
  type PageOptions,
  reportPage,
  utcTime,
} from "./html.ts";
export { CHART_LIBRARY, CHART_LIBRARY_NAME } from "./chart_lib.ts";
export {
  bandOf,
  flagTexts,
  modelBands,
  modelFor,
  reportExtras,
} from "./extras.ts";

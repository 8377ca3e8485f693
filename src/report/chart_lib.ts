/**
 * The chart library, Apache ECharts (docs/report.md says why this one), as
 * text to inline into pages. Imported as text so that `deno bundle` puts
 * it inside the portable bundle: reports need no node_modules at run time.
 */
import ECHARTS from "echarts/dist/echarts.min.js" with { type: "text" };
import PACKAGE from "echarts/package.json" with { type: "json" };

/** The minified library, one script. */
export const CHART_LIBRARY: string = ECHARTS;

/** Its name and version, for the page's footer. */
export const CHART_LIBRARY_NAME = `Apache ECharts ${PACKAGE.version}`;

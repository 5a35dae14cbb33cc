// Figure builders (plotly JSON from long-format records) and result tables.
export { gradNormHeatmap, gradNormMatrix, gradNormBranchLines, branchSeries, gateLines } from "./grad-norms.js";
export type { HeatmapOptions, BranchLineOptions, GateOptions } from "./grad-norms.js";
export { gateStats, gatePolicyPanels } from "./gates.js";
export type { GateStats, LayerGateStats, PolicyGates, GatePanelsOptions } from "./gates.js";
export { curvesFigure } from "./curves.js";
export type { CurveOptions } from "./curves.js";
export { aggregateSeeds, meanStdFigure } from "./seeds.js";
export type { SeedAggregate, BandOptions } from "./seeds.js";
export { liveDashboard, dashboardFigure } from "./dashboard.js";
export type { LiveDashboard, DashboardOptions, DashboardRecord, LossPoint } from "./dashboard.js";
export {
  formatCell,
  tableToHtml,
  tableToMarkdown,
  tableToCsv,
  tableToText,
  tableBundle,
  displayTable,
  validateTable,
  escapeMarkdownCell,
  csvField,
} from "./table.js";
export type { Table, Cell, MeanStd } from "./table.js";
export { PALETTE, sortLayers } from "./figure.js";
export type { PlotlyFigure, Trace, Layout } from "./figure.js";
export { resultsTable } from "./results.js";
export { meanStd, meanStdCell } from "./mean-std.js";
export type { ResultsOptions, Summary } from "./results.js";

// Reproductions of the paper's results: what notebooks call to save tables and figures into the
// run's output folder, the claim and learning-signal checks, and the headless pipeline.
export { reproductionOutput, ReproductionOutput, readManifest, MANIFEST_FILE } from "./outputs.js";
export type { Manifest, SavedTable, SavedFigure, OutputSaveOptions, OutputSaveTableOptions } from "./outputs.js";
export {
  PAPER_RESOURCE_CLAIMS,
  claimHolds,
  resourceClaimTable,
  resourceClaimVerdict,
  learningSignalTable,
  floorTable,
  clearsConstant,
  scoreMean,
} from "./claims.js";
export type { ResourceClaim, ResourceRatios, ClaimOptions, Score, SignalOptions } from "./claims.js";
export { REPRODUCTIONS, SCALES, parseScale, listReproductions, selectReproductions } from "./catalog.js";
export type { Scale } from "./catalog.js";
export {
  runReproductions,
  summaryLines,
  REPRODUCE_REPORT_FILE,
  REPRODUCE_SUMMARY_FILE,
  REPRODUCE_SUMMARY_JSON,
} from "./pipeline.js";
export type {
  ReproduceOptions,
  ReproduceSummary,
  ReproductionResult,
  PipelineDeps,
  Execution,
  NotebookLike,
} from "./pipeline.js";
export {
  SCALE_SETTINGS,
  TRAINED_METHODS,
  settingsFor,
  seedList,
  runOptionsFor,
  budgetFor,
  budgetSummary,
} from "./settings.js";
export type { ScaleSettings, TaskBudget, TrainedMethod, RunSpec } from "./settings.js";
export { cachedRun, runKey, defaultRunCacheDir, RUN_CACHE_VERSION } from "./runs.js";
export { runKeyMaterial, runCodeVersion } from "./run-key.js";
export type { CachedRunOptions } from "./runs.js";
export {
  glueColumns,
  scoreTable,
  columnMeans,
  resourceRows,
  resourceTable,
  pairedDifferenceTable,
} from "./tables.js";
export type { RunSummary, ScoreColumn, ResourceRow, ResourceRun } from "./tables.js";
export {
  BENCHMARK_SETTINGS,
  BENCHMARK_COLUMNS,
  BENCHMARK_LOSS_COLUMN,
  benchmarkSettingsFor,
  benchmarkRunOptions,
  benchmarkFloorTable,
  unjudgedColumns,
  mtBenchAnswerTable,
} from "./benchmarks.js";
export type { BenchmarkSettings } from "./benchmarks.js";
export { gateSummaryTable, gateClampTable } from "./gate-tables.js";
export { cachedRuns } from "./run-batch.js";
export { runGrid } from "./run-grid.js";
export type { RunGridOptions, GridResult } from "./run-grid.js";
export type { CachedRunsOptions } from "./run-batch.js";
export { splitOutcomes, expectRuns, failureTable, isRunFailure } from "./run-outcome.js";
export type { RunOutcome, RunSuccess, RunFailure } from "./run-outcome.js";
export {
  measureResources,
  paperRegimeFor,
  regimeBreakdown,
  regimeTable,
  llamaParameterCount,
  RESOURCE_REGIMES,
} from "./resource-regime.js";
export type {
  MeasureResourcesOptions,
  RegimeBreakdown,
  RegimeMethod,
  RegimeModel,
  ResourceMeasurement,
  ResourceRegimeName,
} from "./resource-regime.js";
export { verdictColumnSummary } from "./verdicts.js";

// Notebooks import everything from "peft-notebook" (dist/lib/index.js). When an area is not
// re-exported there yet, say which names are missing instead of failing inside a notebook.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../../helpers/ensure-built.js";

export const TUTORIAL_IMPORTS = [
  "useBackend",
  "ensureBaseModel",
  "loadModelWithTokenizer",
  "loadTokenizer",
  "attach",
  "train",
  "shuffledBatches",
  "causalLmLoss",
  "mobyDickChapters",
  "display",
  "displayTable",
  "curvesFigure",
  "gradNormBranchLines",
  "gradNormHeatmap",
  "gateLines",
];

export const NOTEBOOK_IMPORTS = [
  "useBackend",
  "ensureBaseModel",
  "loadModelWithTokenizer",
  "loadTokenizer",
  "attach",
  "train",
  "shuffledBatches",
  "causalLmLoss",
  "mobyDickChapters",
  "display",
  "displayTable",
  "curvesFigure",
  "meanStdFigure",
  "gradNormBranchLines",
  "gradNormHeatmap",
  "gateLines",
  "reproductionOutput",
  "cachedRun",
  "cachedRuns",
  "splitOutcomes",
  "expectRuns",
  "failureTable",
  "runOptionsFor",
  "settingsFor",
  "seedList",
  "parseScale",
  "scoreTable",
  "glueColumns",
  "columnMeans",
  "learningSignalTable",
  "resourceRows",
  "resourceTable",
  "resourceClaimTable",
  "benchmarkSettingsFor",
  "benchmarkRunOptions",
  "benchmarkFloorTable",
  "BENCHMARK_COLUMNS",
  "BENCHMARK_LOSS_COLUMN",
  "unjudgedColumns",
  "meanStd",
  "TRAINED_METHODS",
  "gatePreset",
  "gatePolicyPanels",
  "gateSummaryTable",
  "gateClampTable",
  "pairedDifferenceTable",
];

export async function missingPackageExports(names: readonly string[] = NOTEBOOK_IMPORTS): Promise<string[]> {
  const mod = (await import(pathToFileURL(join(ROOT, "dist", "lib", "index.js")).href)) as Record<string, unknown>;
  return names.filter((n) => !(n in mod));
}

export { DataFormatError } from "./errors.js";
export { DATA_SOURCES, describeSources, sourceOf, type DataSource } from "./sources.js";
export { cacheRoot, dataDir, dataFile } from "./paths.js";
export { projectRoot } from "../project-root.js";
export {
  GLUE_LABELS,
  GLUE_TASKS,
  glueFile,
  loadGlue,
  type GlueExample,
  type GlueSplit,
  type GlueTask,
  type LoadOptions,
} from "./glue.js";
export { loadGsm8k, type Gsm8kExample } from "./gsm8k.js";
export { loadHumanEval, type HumanEvalTask } from "./humaneval.js";
export { loadMtBench, MT_BENCH_CATEGORIES, type MtBenchCategory, type MtBenchQuestion } from "./mtbench.js";
export { seededPermutation, subsample } from "./sample.js";

// The project's own pre-trained base model (public-domain books and speeches, GLUE and GSM8K train text, Python sources; byte-level BPE; a small LLaMA): shipped at small, built on the fly at smoke.
export { ensureBaseModel, baseModelDir, defaultCacheDir, readPretrainReport } from "./ensure.js";
export type { EnsureBaseModelOptions } from "./ensure.js";
export { pretrainBaseModel, PRETRAIN_REPORT_FILE } from "./pretrain.js";
export type { BuildEnvironment, PartReport, PretrainReport, PretrainOptions } from "./pretrain.js";
export { RECIPES, recipeFor, recipeKey, PIPELINE_VERSION } from "./recipes.js";
export type { CorpusSource, DomainCorpus, PretrainRecipe, PretrainScale } from "./recipes.js";
export { meanLmLoss } from "./perplexity.js";
export { splitCorpus, tokenWindows } from "./corpus.js";
export type { CorpusWindows } from "./corpus.js";
export { domainText } from "./domain.js";
export { corpusParts, fingerprintPart, holdOutEnd, pythonStdlibVersion, PYTHON_STDLIB_DIR } from "./sources.js";
export type { CorpusPart, CorpusPartFingerprint } from "./sources.js";
export {
  hashModelFiles,
  MODEL_FILES,
  RECORD_FILE,
  readRecord,
  recordFor,
  shippedBaseDir,
  verifyShipped,
  writeRecord,
} from "./shipped.js";
export type { FileHash, ShippedRecord } from "./shipped.js";
export { buildBaseModel, compareCorpus, compareWithRecord, currentEnvironment, rebuildHazards } from "./build.js";
export type { BuildOptions, BuildResult } from "./build.js";

// The project's own pre-trained base model (Moby Dick + GLUE train sentences, byte-level BPE, small LLaMA), cached by recipe and seed.
export { ensureBaseModel, baseModelDir, defaultCacheDir, readPretrainReport } from "./ensure.js";
export type { EnsureBaseModelOptions } from "./ensure.js";
export { pretrainBaseModel, PRETRAIN_REPORT_FILE } from "./pretrain.js";
export type { PretrainReport, PretrainOptions } from "./pretrain.js";
export { RECIPES, recipeFor, recipeKey, PIPELINE_VERSION } from "./recipes.js";
export type { DomainCorpus, PretrainRecipe, PretrainScale } from "./recipes.js";
export { meanLmLoss } from "./perplexity.js";
export { splitCorpus, tokenWindows } from "./corpus.js";
export type { CorpusWindows } from "./corpus.js";
export { domainText, pretrainText } from "./domain.js";
export type { PretrainText } from "./domain.js";

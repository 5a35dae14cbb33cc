// The verbs reproduction notebooks call: bind models to evaluators, build GLUE batches, run one
// method or a grid of them.
export { labelScorerFor, logLikelihood, headLogits } from "./scoring.js";
export type { ScoringMode, ScoringOptions } from "./scoring.js";
export { textGeneratorFor } from "./generation.js";
export type { TextGeneratorOptions } from "./generation.js";
export { glueBatches, encodeGlueExample } from "./glue-batches.js";
export type { GlueBatch, GlueBatchOptions, GlueBatchSource } from "./glue-batches.js";
export { encodeContinuation, encodeForHead, padRows, IGNORE_INDEX } from "./encode.js";
export type { EncodedRow, PaddedRows } from "./encode.js";
export { glueLoss, meanGlueLoss, continuationLoss, meanLoss } from "./loss.js";
export { gsm8kBatches, encodeGsm8kExample } from "./gsm8k-batches.js";
export type { LmBatch, Gsm8kBatchOptions, Gsm8kBatchSource } from "./gsm8k-batches.js";
export { evaluateGenerative, GENERATIVE_METRICS } from "./generative-eval.js";
export type { GenerativeBudget, GenerativeScores, GenerativeSamples } from "./generative-eval.js";
export { tunedModel, HEAD_TENSOR } from "./tuned-model.js";
export type { TunedModel } from "./tuned-model.js";
export { RUN_TASKS, GENERATIVE_TASKS, isGenerativeTask } from "./tasks.js";
export type { RunTask, GenerativeTask } from "./tasks.js";
export { withClassificationHead } from "./classifier.js";
export { classifyPooled, POOLINGS } from "./pooling.js";
export type { Pooling } from "./pooling.js";
export { runMethod, resolveRunOptions, DEFAULT_TARGETS } from "./run-method.js";
export { constantPredictorScore } from "./constant-predictor.js";
export type { ConstantPredictorOptions, ConstantPredictorScore } from "./constant-predictor.js";
export { splitTrain, runExamples, EVAL_SPLITS, VALIDATION_MAX } from "./validation-split.js";
export type { EvalSplit, TrainValidation } from "./validation-split.js";
export { RUN_METHODS, TRAINED_METHODS, DEFAULT_LR, defaultLr, learningRates } from "./methods.js";
export type { TrainedMethod } from "./methods.js";
export type { MethodName } from "./methods.js";
export type {
  RunMethodOptions,
  RunHooks,
  RunResult,
  GenerationSettings,
  AdapterSettings,
  ResolvedRunOptions,
  ResolvedAdapterSettings,
} from "./run-method.js";

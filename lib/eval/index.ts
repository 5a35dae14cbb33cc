// Renamed here: lib/models has its own GenerateOptions for token-level generation.
export type {
  GenerateOptions as TextGenerationOptions,
  LabelScorer,
  LabelScoringInput,
  TextGenerator,
} from "./interfaces.js";
export { accuracy, confusion, f1Binary, matthewsCorrcoef, type Confusion } from "./metrics.js";
export {
  extractPredictedAnswer,
  extractReferenceAnswer,
  gsm8kExactMatch,
  lastNumber,
  normaliseNumber,
} from "./gsm8k-answer.js";
export { meanPassAtK, passAtK } from "./pass-at-k.js";
export {
  detectIsolation,
  runPythonSandboxed,
  SANDBOX_PYTHON,
  SandboxUnavailableError,
  type Isolation,
  type IsolationMethod,
  type SandboxLimits,
  type SandboxResult,
} from "./sandbox.js";
export { mapLimit } from "./concurrency.js";
export { scorerFromLogLikelihood, type LogLikelihoodFn } from "./bindings.js";
export * from "./prompts.js";
export { evaluateGlue, glueMetrics, type GlueEvalOptions, type GlueMetrics, type GlueResult } from "./glue.js";
export { evaluateGsm8k, type Gsm8kEvalOptions, type Gsm8kResult } from "./gsm8k.js";
export {
  checkCompletion,
  evaluateHumanEval,
  humanEvalProgram,
  type CompletionCheck,
  type HumanEvalOptions,
  type HumanEvalResult,
} from "./humaneval.js";
export {
  askJudge,
  JUDGE_SYSTEM,
  judgeFromEnv,
  judgePrompt,
  parseRating,
  type JudgeCase,
  type JudgeConfig,
} from "./judge.js";
export {
  MT_BENCH_TEMPERATURE,
  runMtBench,
  type MtBenchAnswer,
  type MtBenchOptions,
  type MtBenchResult,
} from "./mtbench.js";

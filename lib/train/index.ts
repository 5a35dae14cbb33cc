// The trainer and its parts: optimisers, schedules, clipping, data order, checkpoints,
// gradient-norm records and resource accounting.
export { train, resume } from "./trainer.js";
export type {
  TrainOptions,
  TrainResult,
  StepContext,
  StepInfo,
  EvalMetrics,
  DashboardSink,
  Trainable,
} from "./trainer.js";
export { AdamW, SGD, createOptimizer } from "./optim.js";
export type { Optimizer, OptimizerSpec, OptimizerState, AdamWOptions, SGDOptions, ParamGrad } from "./optim.js";
export { lrMultiplier } from "./schedule.js";
export type { Schedule, ScheduleSpec, ScheduleKind } from "./schedule.js";
export { clipByGlobalNorm, clipCoefficient, squaredNorms } from "./clip.js";
export { gradNormRecords } from "./gradnorm.js";
export type { GroupNorms } from "./gradnorm.js";
export { shuffledBatches } from "./data.js";
export type { BatchSource, DataPosition, ShuffledBatchesOptions } from "./data.js";
export { Rng } from "../random/rng.js";
export { mulberry32, permutation } from "../random/mulberry32.js";
export { saveCheckpoint, readCheckpoint, loadLatestCheckpoint, listCheckpoints } from "./training-checkpoint.js";
export type { CheckpointData, TrainerState } from "./training-checkpoint.js";
export { fullFineTuning } from "./full.js";
export type { FullFineTuningOptions } from "./full.js";
export { ResourceMeter, countTrainable, countRegisteredVariables, peakMemoryBytes } from "./resources.js";
export type { ResourceReport } from "./resources.js";

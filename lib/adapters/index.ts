// Public surface of the adapters: attach(), loadAdapter(), the gradient-norm recorder, gates.
export { attach, Attachment } from "./attach.js";
export type {
  AttachOptions,
  LoraAttachOptions,
  BoftAttachOptions,
  LoraGaAttachOptions,
  UrnnAttachOptions,
  HybridAttachOptions,
} from "./attach.js";
export { loadAdapter } from "./peft-format.js";
export {
  saveAdapter,
  WEIGHTS_FILE as ADAPTER_WEIGHTS_FILE,
  CONFIG_FILE as ADAPTER_CONFIG_FILE,
} from "./peft-save.js";
export { recordGradNorms, groupGradNorms } from "./grad-norms.js";
export {
  nextLambda,
  initialLambda,
  gateMeasure,
  DEFAULT_GATE,
  GATE_KINDS,
  GATE_PRESETS,
  gatePreset,
  type GatePolicy,
  type GateKind,
  type BranchNorms,
} from "./gate.js";
export { weightSpaceNorms } from "./gate-signal.js";
export type { GradientEstimate } from "./gradient-estimate.js";
export { estimateGradients } from "./gradient-estimate.js";
export { randomizedSvd, jacobiSvd } from "./randomized-svd.js";
export { cayley } from "./cayley.js";
export { butterflyShape } from "./butterfly.js";
export type { Method, LayerAdapter } from "./types.js";
export type { TargetSpec } from "./targets.js";

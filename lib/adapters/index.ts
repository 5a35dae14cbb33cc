// Public surface of the adapters: attach(), loadAdapter(), the method registry, the
// gradient-norm recorder, gates.
export { attach, Attachment } from "./attach.js";
export type { AttachmentCheckpointState } from "./attach.js";
export {
  ADAPTER_METHODS,
  ADAPTER_METHOD_NAMES,
  adapterMethod,
  isAdapterMethod,
  type Method,
  type AttachCommon,
  type AttachOptions,
  type AttachOptionsOf,
  type LoraAttachOptions,
  type BoftAttachOptions,
  type LoraGaAttachOptions,
  type UrnnAttachOptions,
  type HybridAttachOptions,
} from "./registry.js";
export type { AdapterMethod, AnyAdapterMethod, ExperimentDefaults, CheckpointParts } from "./method.js";
export { loadAdapter } from "./peft-load.js";
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
} from "./hybrid/gate.js";
export { weightSpaceNorms } from "./hybrid/gate-signal.js";
export type { GradientEstimate, GradientSource } from "./gradient-estimate.js";
export { estimateGradients } from "./gradient-estimate.js";
export { randomizedSvd, jacobiSvd } from "./loraga/randomized-svd.js";
export { cayley } from "./boft/cayley.js";
export { butterflyShape } from "./boft/butterfly.js";
export type { LayerAdapter } from "./types.js";
export type { TargetSpec } from "./targets.js";
export type { LoraOptions } from "./lora/method.js";
export type { BoftOptions } from "./boft/method.js";
export type { LoraGaOptions } from "./loraga/method.js";
export type { LoraGaInitOptions, LoraGaDirection, LoraGaScale } from "./loraga/init.js";
export type { HybridOptions } from "./hybrid/method.js";

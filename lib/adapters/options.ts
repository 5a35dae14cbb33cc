// The options of attach(), one type per method. Apart from attach.ts so that the adapter file
// writer (peft-save.ts), which attach.ts itself uses, can read them without an import cycle.
import type * as tf from "@tensorflow/tfjs";
import type { BoftOptions } from "./boft.js";
import type { GatePolicy } from "./gate.js";
import type { GradientEstimate } from "./gradient-estimate.js";
import type { LoraOptions } from "./lora.js";
import type { LoraGaInitOptions } from "./loraga.js";
import type { TargetSpec } from "./targets.js";

interface Common {
  targets: TargetSpec;
  /** Seeds every random init (default 0). */
  seed?: number;
}

/** Where LoRA-GA's gradients come from: an estimate over batches, or given per module path. */
export interface GradientSource {
  // the caller's batch type is theirs; the loss and batches only need to agree.
  // biome-ignore lint/suspicious/noExplicitAny: batch type is erased at this boundary
  estimate?: GradientEstimate<any>;
  /** dL/dW [out, in] per module path (e.g. computed elsewhere); takes precedence over `estimate`. */
  gradients?: Map<string, tf.Tensor2D | Float64Array | Float32Array>;
}

export type LoraAttachOptions = Common & { method: "lora" } & LoraOptions;
export type BoftAttachOptions = Common & { method: "boft" } & BoftOptions;
export type LoraGaAttachOptions = Common & { method: "loraga" } & LoraOptions & LoraGaInitOptions & GradientSource;
export type UrnnAttachOptions = Common & { method: "urnn" };
export type HybridAttachOptions = Common & { method: "hybrid"; gate?: GatePolicy } & BoftOptions &
  LoraOptions &
  LoraGaInitOptions &
  GradientSource;
export type AttachOptions =
  | LoraAttachOptions
  | BoftAttachOptions
  | LoraGaAttachOptions
  | UrnnAttachOptions
  | HybridAttachOptions;

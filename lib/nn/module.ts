// The minimal contracts between models, adapters and the trainer. A model satisfies both;
// adapters need only LinearHost, the trainer only a variable list and a loss.
import type * as tf from "@tensorflow/tfjs";
import type { GradNormRecord } from "../records/types.js";
import type { Linear } from "./linear.js";

export interface LinearHost {
  /** Every linear projection, keyed by its Hugging Face module path, in model order. */
  linears(): Map<string, Linear>;
}

export interface ParameterHost {
  /** Every weight, keyed by its Hugging Face tensor name (`model.layers.0.mlp.up_proj.weight`). */
  namedParameters(): Map<string, tf.Variable>;
}

/** A named group of trainable tensors: one adapter branch of one layer, or one full weight. */
export interface ParameterGroup {
  /** Module path of the layer, e.g. `model.layers.0.self_attn.q_proj`. */
  layer: string;
  /** Which part: "lora", "boft", "loraga", "urnn", "full", ... */
  branch: string;
  variables: tf.Variable[];
}

/**
 * What the trainer optimises. Adapters and full fine-tuning both provide one, so the trainer,
 * the gradient-norm recorder and the hybrid gate see the same structure.
 */
export interface TrainableSet {
  groups(): ParameterGroup[];
  /**
   * Called after each backward pass with gradients keyed by tf.Variable.name, before the
   * optimiser step (the hybrid recomputes its per-layer λ here). `norms`: the norm of each of
   * groups()' gradients this step, as the trainer computed them (absent when the caller has
   * none). Must not dispose the grads.
   */
  onGradients?(grads: Record<string, tf.Tensor>, step: number, norms?: readonly GradNormRecord[]): void;
}

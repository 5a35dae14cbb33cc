// The one interface every method implements per adapted Linear; attach.ts does the rest
// (install, enable/disable, merge/unmerge, counting, saving) the same way for all methods.
import type * as tf from "@tensorflow/tfjs";
import type { LinearAdapter } from "../nn/linear.js";
import type { ParameterGroup } from "../nn/module.js";

/** Shared mutable state an attachment hands its layers (training mode, dropout seeds). */
export interface AdapterContext {
  training: boolean;
  /** Incremented on every dropout draw so masks differ per call yet replay from the seed. */
  dropoutCalls: number;
  seed: number;
}

export interface LayerAdapter extends LinearAdapter {
  readonly layer: string;
  /** Trainable tensors by branch. */
  groups(): ParameterGroup[];
  /** The weight that, used alone, reproduces the adapted layer from frozen W [out, in]. */
  mergedWeight(w: tf.Tensor2D): tf.Tensor2D;
  /** Fresh copies (the caller disposes) of the tensors to save, keyed by the suffix after `base_model.model.<layer>.` */
  state(): Map<string, tf.Tensor>;
  /** Overwrites adapter tensors from a loaded file (keys as in state()); shapes are checked by the caller. */
  setState(values: Map<string, tf.Tensor>): void;
  /** Frees the layer's tensors and undoes any change it made to its Linear (LoRA-GA's offset weight). */
  dispose(): void;
}

// The minimal contracts between models, adapters and the trainer. A model satisfies both;
// adapters need only LinearHost, the trainer only a variable list and a loss.
import type * as tf from "@tensorflow/tfjs";
import type { Linear } from "./linear.js";

export interface LinearHost {
  /** Every linear projection, keyed by its Hugging Face module path, in model order. */
  linears(): Map<string, Linear>;
}

export interface ParameterHost {
  /** Every weight, keyed by its Hugging Face tensor name (`model.layers.0.mlp.up_proj.weight`). */
  namedParameters(): Map<string, tf.Variable>;
}

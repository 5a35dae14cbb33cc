// Per-group gradient-norm records of one step (the raw material of the gradient-norm dynamics
// plots), computed once by the trainer and handed to the trainable set's onGradients as well.
import type * as tf from "@tensorflow/tfjs";
import { groupNorms } from "../nn/grad-norms.js";
import type { ParameterGroup } from "../nn/module.js";
import type { GradNormRecord } from "../records/types.js";

export interface GroupNorms {
  records: GradNormRecord[];
  /** Norm over every gradient, as clip_grad_norm_ computes it. */
  total: number;
}

/** `grads[i]` is the gradient of the i-th variable of the groups flattened in order. */
export function gradNormRecords(groups: ParameterGroup[], grads: tf.Tensor[], step: number): GroupNorms {
  const { norms, total } = groupNorms(groups, (_, i) => grads[i]);
  return {
    records: groups.map((g, i) => ({ step, layer: g.layer, branch: g.branch, norm: norms[i] as number })),
    total,
  };
}

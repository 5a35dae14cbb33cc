// Per-group gradient norms, the raw material of the paper's gradient-norm dynamics plots and
// of the hybrid's gate. One squared norm per variable is read back in a single transfer; a
// group's norm is the L2 norm of its tensors concatenated, the global norm that of all groups.
import type * as tf from "@tensorflow/tfjs";
import type { ParameterGroup } from "../nn/module.js";
import type { GradNormRecord } from "../records/types.js";
import { squaredNorms } from "./clip.js";

export interface GroupNorms {
  records: GradNormRecord[];
  /** Norm over every gradient, as clip_grad_norm_ computes it. */
  total: number;
}

/** `grads[i]` is the gradient of the i-th variable of the groups flattened in order. */
export function gradNormRecords(groups: ParameterGroup[], grads: tf.Tensor[], step: number): GroupNorms {
  const sq = squaredNorms(grads);
  const records: GradNormRecord[] = [];
  let i = 0;
  let total = 0;
  for (const g of groups) {
    let s = 0;
    for (let j = 0; j < g.variables.length; j++) s += sq[i++] as number;
    total += s;
    records.push({ step, layer: g.layer, branch: g.branch, norm: Math.sqrt(s) });
  }
  return { records, total: Math.sqrt(total) };
}

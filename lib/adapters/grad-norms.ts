// Per-layer, per-branch gradient norms of an attachment's groups from gradients keyed by
// tf.Variable name (tf.variableGrads' output), for code that trains without lib/train: the same
// computation the trainer runs once per step (lib/nn/grad-norms.ts).
import type * as tf from "@tensorflow/tfjs";
import { groupNorms } from "../nn/grad-norms.js";
import type { ParameterGroup } from "../nn/module.js";
import type { GradNormRecord } from "../records/types.js";

/** L2 norm of each group's concatenated gradients; NaN for a group none of whose variables has a gradient. */
export function groupGradNorms(grads: Record<string, tf.Tensor>, groups: ParameterGroup[]): number[] {
  return groupNorms(groups, (v) => grads[v.name]).norms;
}

/** Appends one GradNormRecord per group (skipping groups without gradients) and returns them. */
export function recordGradNorms(
  grads: Record<string, tf.Tensor>,
  groups: ParameterGroup[],
  step: number,
  into: GradNormRecord[] = [],
): GradNormRecord[] {
  const norms = groupGradNorms(grads, groups);
  groups.forEach((g, i) => {
    const norm = norms[i] as number;
    if (!Number.isNaN(norm)) into.push({ step, layer: g.layer, branch: g.branch, norm });
  });
  return into;
}

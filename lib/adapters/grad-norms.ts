// Per-layer, per-branch gradient norms: what the plots show and the hybrid gate reads.
import * as tf from "@tensorflow/tfjs";
import type { ParameterGroup } from "../nn/module.js";
import type { GradNormRecord } from "../records/types.js";

/**
 * L2 norm of each group's concatenated gradients (grads keyed by tf.Variable.name), in one
 * device read. A group none of whose variables has a gradient gets NaN.
 */
export function groupGradNorms(grads: Record<string, tf.Tensor>, groups: ParameterGroup[]): number[] {
  if (groups.length === 0) return [];
  const present = groups.map((g) => g.variables.some((v) => grads[v.name] !== undefined));
  const sq = tf.tidy(() => {
    const parts = groups.map((g) => {
      const terms = g.variables
        .map((v) => grads[v.name])
        .filter((t): t is tf.Tensor => t !== undefined)
        .map((t) => tf.sum(tf.square(t)));
      return terms.length ? tf.addN(terms) : tf.scalar(0);
    });
    return tf.stack(parts);
  });
  const values = sq.dataSync();
  sq.dispose();
  return groups.map((_, i) => (present[i] ? Math.sqrt(values[i] as number) : Number.NaN));
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

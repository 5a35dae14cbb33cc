// Gradient norms per parameter group: what the gradient-norm plots show, what clipping and the
// hybrid's gate read. Computed once per step by the trainer and handed to whoever needs them.
// One squared norm per tensor is read back in a single transfer; a group's norm is the L2 norm
// of its tensors concatenated (summed on the host in float64), the total that of every group.
import * as tf from "@tensorflow/tfjs";
import type { ParameterGroup } from "./module.js";

/** Squared L2 norm of each tensor, read back in one transfer. */
export function squaredNorms(tensors: tf.Tensor[]): number[] {
  if (tensors.length === 0) return [];
  const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.square(t)))));
  const out = Array.from(stacked.dataSync());
  stacked.dispose();
  return out;
}

/**
 * The norm of each group's gradients and of all of them. `gradOf` gives the gradient of a variable
 * (`index`: its position among the groups' variables in order), or undefined when it has none; a
 * group none of whose variables has a gradient gets NaN.
 */
export function groupNorms(
  groups: readonly ParameterGroup[],
  gradOf: (variable: tf.Variable, index: number) => tf.Tensor | undefined,
): { norms: number[]; total: number } {
  const present: tf.Tensor[] = [];
  const slots: (number | null)[][] = [];
  let index = 0;
  for (const g of groups)
    slots.push(
      g.variables.map((v) => {
        const t = gradOf(v, index++);
        if (!t) return null;
        present.push(t);
        return present.length - 1;
      }),
    );
  const sq = squaredNorms(present);
  let total = 0;
  const norms = slots.map((s) => {
    const have = s.filter((i): i is number => i !== null);
    if (have.length === 0) return Number.NaN;
    const sum = have.reduce((acc, i) => acc + (sq[i] as number), 0);
    total += sum;
    return Math.sqrt(sum);
  });
  return { norms, total: Math.sqrt(total) };
}

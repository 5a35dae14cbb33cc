// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (norm_type 2):
// coef = maxNorm / (total + 1e-6), clamped to at most 1, multiplied into every gradient.
import * as tf from "@tensorflow/tfjs";
import { squaredNorms } from "../nn/grad-norms.js";

export { squaredNorms };

/** The clip coefficient torch applies for a given total norm. */
export function clipCoefficient(totalNorm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}

/**
 * Returns clipped copies of `grads` (the caller disposes both) and the total norm before
 * clipping. Pass `totalNorm` when it is already known to skip recomputing it.
 */
export function clipByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
  totalNorm?: number,
): { grads: tf.Tensor[]; norm: number } {
  if (!(maxNorm > 0)) throw new Error(`clip: maxNorm must be positive, found ${maxNorm}`);
  const norm = totalNorm ?? Math.sqrt(squaredNorms(grads).reduce((a, b) => a + b, 0));
  const coef = clipCoefficient(norm, maxNorm);
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}

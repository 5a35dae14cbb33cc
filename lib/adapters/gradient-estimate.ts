// LoRA-GA's first stage: the full-weight gradient of each target, averaged over sampled
// examples, computed on the unadapted model.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";

export interface GradientEstimate<B = unknown> {
  /** Mean loss of one batch (a scalar), computed with the model's forward. */
  loss: (batch: B) => tf.Scalar;
  /** Batches to draw from, in order; drawing stops after `samples` examples. */
  batches: Iterable<B>;
  /** Examples to average over (default 128, as LoRA-GA). */
  samples?: number;
  /** Examples in a batch; default: first dimension of a tensor, array length, else 1. */
  count?: (batch: B) => number;
}

function defaultCount(batch: unknown): number {
  if (batch instanceof tf.Tensor) return batch.shape[0] ?? 1;
  if (Array.isArray(batch)) return batch.length;
  if (batch && typeof batch === "object") {
    for (const v of Object.values(batch as Record<string, unknown>)) if (v instanceof tf.Tensor) return v.shape[0] ?? 1;
  }
  return 1;
}

/**
 * Example-weighted mean gradient dL/dW [out, in] of every target weight, as float64 host
 * arrays. Base weights are frozen (trainable = false) during attach, so they are made
 * trainable only for this computation.
 */
export function estimateGradients<B>(
  targets: Map<string, Linear>,
  est: GradientEstimate<B>,
): Map<string, Float64Array> {
  const want = est.samples ?? 128;
  const count = est.count ?? defaultCount;
  const vars = [...targets.values()].map((l) => l.weight);
  const flags = vars.map((v) => v.trainable);
  const sums = new Map<string, Float64Array>();
  for (const [name, lin] of targets) sums.set(name, new Float64Array(lin.outFeatures * lin.inFeatures));
  let seen = 0;
  try {
    vars.forEach((v) => {
      v.trainable = true;
    });
    for (const batch of est.batches) {
      if (seen >= want) break;
      const n = count(batch);
      const { value, grads } = tf.variableGrads(() => est.loss(batch), vars);
      for (const [name, lin] of targets) {
        const g = grads[lin.weight.name];
        const acc = sums.get(name) as Float64Array;
        if (!g) throw new Error(`loraga: the loss does not depend on ${name}.weight; does the loss use this model?`);
        const data = g.dataSync();
        for (let i = 0; i < data.length; i++) acc[i] = (acc[i] as number) + n * (data[i] as number);
      }
      value.dispose();
      Object.values(grads).forEach((g) => {
        g.dispose();
      });
      seen += n;
    }
  } finally {
    vars.forEach((v, i) => {
      v.trainable = flags[i] as boolean;
    });
  }
  if (seen === 0) throw new Error("loraga: the gradient estimate's `batches` yielded no batch");
  for (const acc of sums.values()) for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) / seen;
  return sums;
}

/** Where a gradient-initialised method's dL/dW come from: an estimate over batches, or given per module path. */
export interface GradientSource {
  // the caller's batch type is theirs; the loss and batches only need to agree.
  // biome-ignore lint/suspicious/noExplicitAny: batch type is erased at this boundary
  estimate?: GradientEstimate<any>;
  /** dL/dW [out, in] per module path (e.g. computed elsewhere); takes precedence over `estimate`. */
  gradients?: Map<string, tf.Tensor2D | Float64Array | Float32Array>;
}

export const GRADIENT_SOURCE_KEYS = ["estimate", "gradients"] as const satisfies readonly (keyof GradientSource)[];

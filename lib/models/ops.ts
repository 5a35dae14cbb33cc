// Building blocks shared by the families. Written with ops every backend (wasm included)
// implements with gradients: tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks,
// so row gathers carry their own scatter-add gradient.
import * as tf from "@tensorflow/tfjs";
import { fusedRmsNorm, fusedSwiGlu } from "../backend/fused.js";

/** rows of `table` [N, D] at `ids` (any shape, int32) → [...ids.shape, D], differentiable in table. */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const d = table.shape[1] as number;
  const flat = tf.cast(ids.reshape([-1]), "int32");
  // ids go in as an input and are saved, so they outlive the forward's tidy until backward.
  const op = tf.customGrad((...args) => {
    const [t, idx, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([idx]);
    return {
      value: tf.gather(t, idx),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const kept = saved[0] as tf.Tensor;
        return [tf.scatterND(kept.expandDims(1), dy, t.shape), tf.zerosLike(kept)];
      },
    };
  });
  return (op(table, flat) as tf.Tensor).reshape([...ids.shape, d]);
}

/** LLaMA's RMSNorm: x / sqrt(mean(x²) + eps) · w (one fused kernel where the backend has it). */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  const fused = fusedRmsNorm(x, weight, eps);
  if (fused) return fused;
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
}

/** LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

/** GPT-2's "gelu_new": the tanh approximation. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** SwiGLU's gating: silu(gate) · up (one fused kernel where the backend has it). */
export function swiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return fusedSwiGlu(gate, up) ?? tf.mul(silu(gate), up);
}

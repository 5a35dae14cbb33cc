// Fused ops for the hot paths of the models and the loss, with their gradients. Each runs as one kernel
// (one pass forward, one backward) where the active backend registers it, which the native backend does;
// elsewhere each returns null and the caller composes the same math from tfjs ops, as before. tfjs
// records ~15 ops, each a pass over memory plus engine bookkeeping, for one RMSNorm with its gradient.
import * as tf from "@tensorflow/tfjs";
import { FUSED_KERNELS as K } from "./native/kernels/fused.js";

function available(kernel: string, ...xs: tf.Tensor[]): boolean {
  return xs.every((x) => x.dtype === "float32") && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor | tf.Tensor[];
}

/** x / sqrt(mean(x², -1) + eps) · weight, or null. */
export function fusedRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor | null {
  if (!available(K.rmsNorm, x, weight) || weight.rank !== 1 || weight.shape[0] !== x.shape[x.rank - 1]) return null;
  const op = tf.customGrad((...args) => {
    const [xi, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xi, w]);
    return {
      value: run(K.rmsNorm, { x: xi, weight: w }, { eps }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) =>
        run(K.rmsNormGrad, { dy, x: sx as tf.Tensor, weight: sw as tf.Tensor }, { eps }) as tf.Tensor[],
    };
  });
  return op(x, weight) as tf.Tensor;
}

/** silu(gate) · up (SwiGLU), or null. */
export function fusedSwiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor | null {
  if (!available(K.swiglu, gate, up) || !tf.util.arraysEqual(gate.shape, up.shape)) return null;
  const op = tf.customGrad((...args) => {
    const [g, u, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([g, u]);
    return {
      value: run(K.swiglu, { gate: g, up: u }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sg, su]: tf.Tensor[]) =>
        run(K.swigluGrad, { dy, gate: sg as tf.Tensor, up: su as tf.Tensor }) as tf.Tensor[],
    };
  });
  return op(gate, up) as tf.Tensor;
}

/**
 * Head split plus rotary embedding: x [B, T, H·D] → [B, H, T, D] with x·cos + rotate_half(x)·sin, for
 * cos/sin [B or 1, 1, T, D] (no gradient flows to them); or null.
 */
export function fusedRopeHeads(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number): tf.Tensor | null {
  if (!available(K.ropeHeads, x, cos, sin) || x.rank !== 3 || cos.rank !== 4) return null;
  const [b, t, hd] = x.shape as [number, number, number];
  const d = hd / heads;
  const csOk = (c: tf.Tensor) =>
    (c.shape[0] === 1 || c.shape[0] === b) && c.shape[1] === 1 && c.shape[2] === t && c.shape[3] === d;
  if (!Number.isInteger(d) || d % 2 !== 0 || !csOk(cos) || !csOk(sin)) return null;
  const op = tf.customGrad((...args) => {
    const [xi, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([cos, sin]);
    return {
      value: run(K.ropeHeads, { x: xi, cos, sin }, { heads }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sc, ss]: tf.Tensor[]) =>
        run(K.ropeHeadsGrad, { dy, cos: sc as tf.Tensor, sin: ss as tf.Tensor }) as tf.Tensor,
    };
  });
  return op(x) as tf.Tensor;
}

/** softmax(scores · scale + mask, -1) for scores [B, H, T, S] and mask [B or 1, 1, T, S] (no gradient to it); or null. */
export function fusedAttentionSoftmax(scores: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor | null {
  if (!available(K.attnSoftmax, scores, mask) || scores.rank !== 4 || mask.rank !== 4) return null;
  const [b, , t, s] = scores.shape as [number, number, number, number];
  if ((mask.shape[0] !== 1 && mask.shape[0] !== b) || mask.shape[1] !== 1 || mask.shape[2] !== t || mask.shape[3] !== s)
    return null;
  const op = tf.customGrad((...args) => {
    const [sc, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const p = run(K.attnSoftmax, { scores: sc, mask }, { scale }) as tf.Tensor;
    save([p]);
    return {
      value: p,
      gradFunc: (dp: tf.Tensor, [sp]: tf.Tensor[]) =>
        run(K.attnSoftmaxGrad, { dp, p: sp as tf.Tensor }, { scale }) as tf.Tensor,
    };
  });
  return op(scores) as tf.Tensor;
}

/** Whether fusedCrossEntropy runs for these logits on the active backend. */
export function crossEntropyFusable(logits: tf.Tensor): boolean {
  return available(K.crossEntropy, logits);
}

/**
 * Σ_r weights[r] · (logsumexp(logits[r]) − logits[r, labels[r]]) over rows of logits [N, V], labels int32
 * [N] (any value where the weight is 0), weights [N] (no gradient to labels or weights); or null.
 */
export function fusedCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor): tf.Scalar | null {
  if (!available(K.crossEntropy, logits, weights) || labels.dtype !== "int32" || logits.rank !== 2) return null;
  const op = tf.customGrad((...args) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const [loss, lse] = run(K.crossEntropy, { logits: x, labels, weights }) as [tf.Tensor, tf.Tensor];
    save([x, labels, weights, lse]);
    return {
      value: tf.sum(loss),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sl, sw, slse] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const dloss = tf.broadcastTo(dy, [sx.shape[0] as number]);
        return run(K.crossEntropyGrad, { dloss, logits: sx, labels: sl, weights: sw, lse: slse }) as tf.Tensor;
      },
    };
  });
  return op(logits) as tf.Scalar;
}

/** AdamW's constants for one step, each as the composite update passes it to tfjs. */
export interface AdamWStep {
  /** 1 − lr·weightDecay, applied when `decays`. */
  decay: number;
  decays: boolean;
  b1: number;
  b2: number;
  /** 1 − b1 and 1 − b2, computed in float64 as the composite does. */
  omb1: number;
  omb2: number;
  /** sqrt(1 − b2^t) */
  bc2Sqrt: number;
  eps: number;
  /** lr / (1 − b1^t) */
  step: number;
}

/**
 * One AdamW step in one pass: [param', exp_avg', exp_avg_sq'] for param, grad and the previous moments
 * (null on the first step); or null. Every operation rounds as the composite's tfjs ops do, so the result
 * is bit for bit the composite's.
 */
export function fusedAdamW(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor | null,
  v: tf.Tensor | null,
  c: AdamWStep,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!available(K.adamW, param, grad) || !tf.util.arraysEqual(param.shape, grad.shape)) return null;
  const inputs: tf.NamedTensorMap = m && v ? { param, grad, m, v } : { param, grad };
  const attrs = { ...c, decays: +c.decays };
  return run(K.adamW, inputs, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

// Masked scaled-dot-product attention shared by both families, the padding/causal mask and
// position ids for batched variable-length input, and the key/value cache for generation.
import * as tf from "@tensorflow/tfjs";
import { fusedAttentionSoftmax } from "../backend/fused.js";

/** Added to the scores of masked keys; finite so fully-masked (pad) rows stay NaN-free. */
const MASKED = -1e9;

/** Per-layer keys and values [B, kvHeads, S, headDim] kept across generation steps. */
export class KVCache {
  private keys: (tf.Tensor | null)[];
  private values: (tf.Tensor | null)[];
  /** Number of positions already in the cache. */
  length = 0;

  constructor(readonly numLayers: number) {
    this.keys = new Array(numLayers).fill(null);
    this.values = new Array(numLayers).fill(null);
  }

  /** Appends this step's k, v for `layer` and returns the full k, v (kept alive by the cache). */
  append(layer: number, k: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const oldK = this.keys[layer];
    const oldV = this.values[layer];
    const newK = tf.keep(oldK ? tf.concat([oldK, k], 2) : k.clone());
    const newV = tf.keep(oldV ? tf.concat([oldV, v], 2) : v.clone());
    oldK?.dispose();
    oldV?.dispose();
    this.keys[layer] = newK;
    this.values[layer] = newV;
    return [newK, newV];
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.length = 0;
  }
}

export interface AttentionContext {
  /** Additive mask [B, 1, T, S]: 0 where a query may attend, large negative elsewhere. */
  mask: tf.Tensor;
  /** Position of each new token [B, T] (float), counting only non-pad tokens before it. */
  positions: tf.Tensor;
  /** Positions already cached (S = past + T). */
  past: number;
}

/**
 * Builds the mask and positions for T new tokens after `past` cached ones. `attentionMask`
 * [B, past + T] marks real tokens with 1 and padding with 0 (left or right); positions are
 * cumsum(mask) − 1, so a left-padded row gets the same positions as the unpadded sequence.
 */
export function attentionContext(
  batch: number,
  steps: number,
  past: number,
  attentionMask?: tf.Tensor,
): AttentionContext {
  const total = past + steps;
  if (
    attentionMask &&
    (attentionMask.rank !== 2 || attentionMask.shape[0] !== batch || attentionMask.shape[1] !== total)
  ) {
    throw new Error(
      `attentionMask: expected shape [${batch}, ${total}] (batch, cached + new tokens), found [${attentionMask.shape.join(", ")}]`,
    );
  }
  const causal = new Float32Array(steps * total);
  for (let i = 0; i < steps; i++) for (let j = 0; j <= past + i; j++) causal[i * total + j] = 1;
  const causalT = tf.tensor4d(causal, [1, 1, steps, total]);
  if (!attentionMask) {
    const pos = tf.add(tf.range(past, total, 1, "float32").expandDims(0), tf.zeros([batch, steps]));
    return { mask: tf.mul(tf.sub(1, causalT), MASKED), positions: pos, past };
  }
  const m = tf.cast(attentionMask, "float32");
  const allowed = tf.mul(causalT, m.reshape([batch, 1, 1, total]));
  const positions = tf.relu(tf.sub(tf.cumsum(m, 1), 1)).slice([0, past], [batch, steps]);
  return { mask: tf.mul(tf.sub(1, allowed), MASKED), positions, past };
}

/**
 * softmax(q·kᵀ/√d + mask)·v with q [B, H, T, d] and k, v [B, Hkv, S, d]. Query heads are
 * grouped onto their shared key/value head by reshaping q, not by copying k and v; head h
 * uses kv head ⌊h / (H/Hkv)⌋, as Hugging Face's repeat_kv.
 */
export function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const [b, h, t, d] = q.shape as [number, number, number, number];
  const hkv = k.shape[1] as number;
  const s = k.shape[2] as number;
  const g = h / hkv;
  const qg = q.reshape([b, hkv, g * t, d]);
  const scores = tf.matMul(qg, k, false, true).reshape([b, h, t, s]);
  const scale = 1 / Math.sqrt(d);
  const probs = (
    fusedAttentionSoftmax(scores, mask, scale) ?? tf.softmax(tf.add(tf.mul(scores, scale), mask), -1)
  ).reshape([b, hkv, g * t, s]);
  return tf.matMul(probs, v).reshape([b, h, t, d]);
}

/** [B, T, H·d] → [B, H, T, d] */
export function splitHeads(x: tf.Tensor, heads: number, headDim: number): tf.Tensor {
  const [b, t] = x.shape as [number, number];
  return x.reshape([b, t, heads, headDim]).transpose([0, 2, 1, 3]);
}

/** [B, H, T, d] → [B, T, H·d] */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([b, t, h * d]);
}

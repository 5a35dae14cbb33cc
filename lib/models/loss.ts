// Causal-LM cross-entropy: position t predicts token t+1. Built from log-softmax and a one-hot
// product rather than gather, whose gradient the wasm backend lacks.
import * as tf from "@tensorflow/tfjs";
import { crossEntropyFusable, fusedCrossEntropy } from "../backend/fused.js";

export interface LossOptions {
  /** Labels equal to this are skipped (Hugging Face's -100). */
  ignoreIndex?: number;
  /** [B, T]: 0 marks padding, which is neither predicted nor predicted from. */
  attentionMask?: tf.Tensor;
}

/**
 * Mean next-token cross-entropy over the predicted positions of logits [B, T, V] with labels
 * [B, T] (usually the input ids). Returns a scalar; 0 when nothing is predicted.
 */
export function causalLmLoss(logits: tf.Tensor, labels: tf.Tensor, opts: LossOptions = {}): tf.Scalar {
  if (logits.rank !== 3)
    throw new Error(`causalLmLoss: logits must be [batch, tokens, vocab], found [${logits.shape.join(", ")}]`);
  const [b, t, v] = logits.shape as [number, number, number];
  if (labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== t) {
    throw new Error(`causalLmLoss: labels must be [${b}, ${t}], found [${labels.shape.join(", ")}]`);
  }
  if (opts.attentionMask && (opts.attentionMask.shape[0] !== b || opts.attentionMask.shape[1] !== t)) {
    throw new Error(`causalLmLoss: attentionMask must be [${b}, ${t}], found [${opts.attentionMask.shape.join(", ")}]`);
  }
  const ignore = opts.ignoreIndex ?? -100;
  return tf.tidy(() => {
    const target = tf.cast(labels.slice([0, 1], [b, t - 1]), "int32");
    let valid = tf.cast(tf.notEqual(target, ignore), "float32");
    if (opts.attentionMask) {
      // Predict only real tokens, and only from real tokens (a left pad's state is meaningless).
      const m = tf.cast(opts.attentionMask, "float32");
      valid = tf.mul(valid, tf.mul(m.slice([0, 1], [b, t - 1]), m.slice([0, 0], [b, t - 1])));
    }
    const safe = tf.where(tf.cast(valid, "bool"), target, tf.zerosLike(target));
    if (crossEntropyFusable(logits)) {
      // One kernel: every position is a row, the last of each sequence (which predicts nothing) with
      // weight 0, so the logits need no slice and their gradient no pad.
      const rowsOf = (x: tf.Tensor) => tf.concat([x, tf.zeros([b, 1], x.dtype)], 1).reshape([-1]);
      const weights = tf.div(valid, tf.maximum(tf.sum(valid), 1));
      return fusedCrossEntropy(logits.reshape([b * t, v]), rowsOf(safe), rowsOf(weights)) as tf.Scalar;
    }
    const logp = tf.logSoftmax(logits.slice([0, 0, 0], [b, t - 1, v]), -1);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe.reshape([-1]), v).reshape([b, t - 1, v])), -1);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}

/** Cross-entropy of classification logits [B, C] against integer labels [B]. */
export function classificationLoss(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const [b, c] = logits.shape as [number, number];
  if (labels.rank !== 1 || labels.shape[0] !== b)
    throw new Error(`classificationLoss: labels must be [${b}], found [${labels.shape.join(", ")}]`);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(tf.cast(labels, "int32"), c)), -1))) as tf.Scalar;
  });
}

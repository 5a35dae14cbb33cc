// Sequence-classification logits with a choice of pooling. "last" is transformers'
// *ForSequenceClassification (the hidden state at the last real token, model.classify);
// "mean" averages the final hidden states over real tokens, so every word's representation
// reaches the head directly: on a tiny, weakly pre-trained base that is what lets fine-tuning
// learn word-level cues such as sentiment (docs/reproductions.md), where the last token alone
// barely depends on the sentence.
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel } from "../models/model.js";

export type Pooling = "mean" | "last";
export const POOLINGS: readonly Pooling[] = ["mean", "last"];

export function checkPooling(pooling: unknown): Pooling {
  if (!POOLINGS.includes(pooling as Pooling))
    throw new Error(
      `pooling: expected one of ${POOLINGS.map((p) => JSON.stringify(p)).join(", ")}, found ${JSON.stringify(pooling)}`,
    );
  return pooling as Pooling;
}

/** Logits [B, numLabels] of a sequence-classification model. */
export function classifyPooled(
  model: TransformerModel,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  pooling: Pooling,
): tf.Tensor2D {
  checkPooling(pooling);
  if (pooling === "last") return model.classify(inputIds, { attentionMask }) as tf.Tensor2D;
  const score = model.linears().get("score");
  if (!score) throw new Error(`classifyPooled: this model has task '${model.config.task}' and no score head`);
  return tf.tidy(() => {
    const h = model.hidden(inputIds, { attentionMask });
    const m = tf.expandDims(tf.cast(attentionMask, "float32"), 2);
    const pooled = tf.div(tf.sum(tf.mul(h, m), 1), tf.maximum(tf.sum(m, 1), 1));
    return score.apply(pooled) as tf.Tensor2D;
  });
}

// Fine-tuning losses: label-word cross-entropy for GLUE "lm" rows, class cross-entropy of the
// head for "head" rows, the solution's cross-entropy for GSM8K rows.
import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, classificationLoss } from "../models/loss.js";
import type { TransformerModel } from "../models/model.js";
import { IGNORE_INDEX } from "./encode.js";
import { classifyPooled, type Pooling } from "./pooling.js";
import type { GlueBatch } from "./glue-batches.js";
import type { LmBatch } from "./gsm8k-batches.js";

/** Cross-entropy of the continuation tokens only (the label word, a GSM8K solution). */
export function continuationLoss(model: TransformerModel, batch: LmBatch): tf.Scalar {
  return tf.tidy(() =>
    causalLmLoss(model.forward(batch.inputIds, { attentionMask: batch.attentionMask }), batch.lmLabels, {
      ignoreIndex: IGNORE_INDEX,
      attentionMask: batch.attentionMask,
    }),
  );
}

/** `pooling` applies to "head" rows only (default "last", transformers' choice). */
export function glueLoss(model: TransformerModel, batch: GlueBatch, pooling: Pooling = "last"): tf.Scalar {
  if (batch.lmLabels) return continuationLoss(model, { ...batch, lmLabels: batch.lmLabels });
  return tf.tidy(() =>
    classificationLoss(classifyPooled(model, batch.inputIds, batch.attentionMask, pooling), batch.labels),
  );
}

/** Mean loss over batches (weighted by rows), without gradients; disposes the batches. */
export function meanLoss<B extends { inputIds: tf.Tensor2D }>(
  batches: readonly B[],
  loss: (batch: B) => tf.Scalar,
): number {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    const rows = b.inputIds.shape[0];
    sum += tf.tidy(() => loss(b).dataSync()[0] as number) * rows;
    n += rows;
    tf.dispose(b as unknown as tf.TensorContainer);
  }
  return sum / n;
}

export function meanGlueLoss(
  model: TransformerModel,
  batches: readonly GlueBatch[],
  pooling: Pooling = "last",
): number {
  return meanLoss(batches, (b) => glueLoss(model, b, pooling));
}

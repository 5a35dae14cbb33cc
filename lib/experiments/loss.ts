// The fine-tuning loss of a GLUE batch: label-word cross-entropy for "lm" rows, class
// cross-entropy of the head for "head" rows.
import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, classificationLoss } from "../models/loss.js";
import type { TransformerModel } from "../models/model.js";
import { IGNORE_INDEX } from "./encode.js";
import { classifyPooled, type Pooling } from "./pooling.js";
import type { GlueBatch } from "./glue-batches.js";

/** `pooling` applies to "head" rows only (default "last", transformers' choice). */
export function glueLoss(model: TransformerModel, batch: GlueBatch, pooling: Pooling = "last"): tf.Scalar {
  if (batch.lmLabels) {
    return tf.tidy(() =>
      causalLmLoss(
        model.forward(batch.inputIds, { attentionMask: batch.attentionMask }),
        batch.lmLabels as tf.Tensor2D,
        { ignoreIndex: IGNORE_INDEX, attentionMask: batch.attentionMask },
      ),
    );
  }
  return tf.tidy(() =>
    classificationLoss(classifyPooled(model, batch.inputIds, batch.attentionMask, pooling), batch.labels),
  );
}

/** Mean loss over batches (weighted by rows), without gradients; disposes the batches. */
export function meanGlueLoss(
  model: TransformerModel,
  batches: readonly GlueBatch[],
  pooling: Pooling = "last",
): number {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    const rows = b.inputIds.shape[0];
    sum += tf.tidy(() => glueLoss(model, b, pooling).dataSync()[0] as number) * rows;
    n += rows;
    tf.dispose(b as unknown as tf.TensorContainer);
  }
  return sum / n;
}

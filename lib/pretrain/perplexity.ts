// Mean next-token loss of a causal LM over token windows; perplexity is its exponential.
import * as tf from "@tensorflow/tfjs";
import { causalLmLoss } from "../models/loss.js";
import type { TransformerModel } from "../models/model.js";

/** Token-weighted mean cross-entropy (nats) over equal-length windows, in batches. */
export function meanLmLoss(model: TransformerModel, windows: readonly number[][], batchSize = 8): number {
  if (windows.length === 0) throw new Error("meanLmLoss: no windows to score");
  let sum = 0;
  let count = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const rows = windows.slice(i, i + batchSize);
    const len = rows[0]!.length;
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(rows.flat(), [rows.length, len], "int32");
      return causalLmLoss(model.forward(ids), ids).dataSync()[0] as number;
    });
    // Equal-length windows: each row predicts len - 1 tokens, so weight batches by row count.
    sum += loss * rows.length;
    count += rows.length;
  }
  return sum / count;
}

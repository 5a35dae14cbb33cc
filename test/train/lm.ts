// A tiny causal LM from lib/models and a learnable token task for it: each row counts upward
// from a random start (t+1 = t + 1 mod V), so next-token loss can fall well below log V.
import * as tf from "@tensorflow/tfjs";
import { createModel, causalLmLoss, makeConfig, type TransformerModel } from "../../lib/models/index.js";
import { shuffledBatches, type BatchSource } from "../../lib/train/data.js";

export const LM_VOCAB = 16;

export function tinyLm(seed: number, hiddenSize = 16, numLayers = 1): TransformerModel {
  return createModel(
    makeConfig({
      family: "llama",
      vocabSize: LM_VOCAB,
      hiddenSize,
      numLayers,
      numHeads: 2,
      intermediateSize: 2 * hiddenSize,
      tieWordEmbeddings: false,
    }),
    { seed, std: 0.1 },
  );
}

export function lmLoss(model: TransformerModel, ids: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => causalLmLoss(model.forward(ids), ids));
}

/** `size` rows of `length` tokens counting up mod V from start i mod V. */
export function countingData(seed: number, batchSize: number, length = 8, size = 32): BatchSource<tf.Tensor2D> {
  return shuffledBatches({
    size,
    batchSize,
    seed,
    collate: (idx) =>
      tf.tensor2d(
        idx.map((i) => Array.from({ length }, (_, t) => (i * 5 + t) % LM_VOCAB)),
        [idx.length, length],
        "int32",
      ),
  });
}

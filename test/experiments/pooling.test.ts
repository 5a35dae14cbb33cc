// Mean pooling for the classification head, checked against its definition computed row by row
// without padding: logits = W · (1/L) Σ_t h_t over the L real tokens.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HfTokenizer } from "../../lib/io/index.js";
import type { TransformerModel } from "../../lib/models/index.js";
import {
  classifyPooled,
  encodeForHead,
  headLogits,
  padRows,
  withClassificationHead,
} from "../../lib/experiments/index.js";
import { loadSmoke } from "./helpers.js";

let clf: TransformerModel;
let tok: HfTokenizer;

beforeAll(async () => {
  const { model, tokenizer } = await loadSmoke();
  tok = tokenizer;
  clf = withClassificationHead(model, 2, 5);
  model.dispose();
});
afterAll(() => clf?.dispose());

const texts = ["a grand voyage across the sea", "dull", "the whale , the whale !"];

/** W · mean of the unpadded row's final hidden states. */
function meanPooledAlone(text: string): number[] {
  const ids = encodeForHead(tok, text, undefined, 64).ids;
  return tf.tidy(() => {
    const h = clf.hidden(tf.tensor2d([ids], [1, ids.length], "int32")).squeeze([0]) as tf.Tensor2D;
    const w = clf.namedParameters().get("score.weight")!;
    return tf.matMul(tf.mean(h, 0, true), w, false, true).arraySync()[0] as number[];
  });
}

describe("classifyPooled", () => {
  it("mean pooling of a padded batch equals each row's mean alone", () => {
    const rows = texts.map((t) => encodeForHead(tok, t, undefined, 64));
    // The rows differ in length, so padding is exercised.
    expect(new Set(rows.map((r) => r.ids.length)).size).toBeGreaterThan(1);
    const before = tf.memory().numTensors;
    const p = padRows(rows, tok.padId ?? 0);
    const logits = tf.tidy(() => classifyPooled(clf, p.inputIds, p.attentionMask, "mean").arraySync() as number[][]);
    tf.dispose([p.inputIds, p.attentionMask, p.lmLabels]);
    expect(tf.memory().numTensors).toBe(before);
    logits.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(meanPooledAlone(texts[i]!)[j]!, 4);
      });
    });
  });

  it("headLogits uses the pooling asked for; last differs from mean", () => {
    const inputs = texts.map((text) => ({ text }));
    const mean = headLogits(clf, tok, inputs, { pooling: "mean" });
    const last = headLogits(clf, tok, inputs, { pooling: "last" });
    mean.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(meanPooledAlone(texts[i]!)[j]!, 4);
      });
    });
    expect(Math.max(...last.flat().map((v, k) => Math.abs(v - mean.flat()[k]!)))).toBeGreaterThan(1e-4);
    expect(() => headLogits(clf, tok, inputs, { pooling: "max" as "mean" })).toThrow(
      /pooling: expected one of "mean", "last", found "max"/,
    );
  });
});

// Model → evaluator bindings and GLUE batches, on the smoke base model.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GLUE_VERBALIZERS, gluePrompt } from "../../lib/eval/index.js";
import { loadGlue } from "../../lib/data/index.js";
import type { HfTokenizer } from "../../lib/io/index.js";
import { generate, type TransformerModel } from "../../lib/models/index.js";
import {
  encodeForHead,
  glueBatches,
  headLogits,
  IGNORE_INDEX,
  labelScorerFor,
  logLikelihood,
  textGeneratorFor,
  withClassificationHead,
} from "../../lib/experiments/index.js";
import { loadSmoke } from "./helpers.js";

let model: TransformerModel;
let tok: HfTokenizer;

beforeAll(async () => {
  ({ model, tokenizer: tok } = await loadSmoke());
});
afterAll(() => model?.dispose());

/** log p(continuation | context) from one unpadded row, computed independently of the batching code. */
function singleRowLogLikelihood(context: string, continuation: string): number {
  const ctx = tok.encode(context, { addSpecialTokens: false });
  const cont = tok.encode(continuation, { addSpecialTokens: false });
  const ids = [...ctx, ...cont];
  const logp = tf.tidy(
    () => tf.logSoftmax(model.forward(tf.tensor2d([ids], [1, ids.length], "int32")), -1).arraySync() as number[][][],
  );
  let s = 0;
  for (let t = ctx.length; t < ids.length; t++) s += logp[0]![t - 1]![ids[t]!]!;
  return s;
}

describe("labelScorerFor / logLikelihood", () => {
  it("batched, padded scoring equals scoring each row alone", () => {
    const ctx = [
      "Review: a fine whale of a film\nSentiment (positive or negative):",
      "The sea",
      "Call me Ishmael. Some years ago",
    ];
    const cont = [" positive", " was calm and grey", " negative"];
    const got = logLikelihood(model, tok, ctx, cont, { batchSize: 3 });
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(singleRowLogLikelihood(ctx[i]!, cont[i]!), 3);
    });
    expect(got.every((v) => v < 0)).toBe(true);
  });

  it("scores each verbalised label after the evaluator's prompt", async () => {
    const ex = loadGlue("sst2", "dev").slice(0, 3);
    const scorer = labelScorerFor(model, tok, GLUE_VERBALIZERS.sst2);
    const inputs = ex.map((e) => ({ prompt: gluePrompt(e), text: e.text }));
    const scores = await scorer.scoreLabels(inputs, GLUE_VERBALIZERS.sst2);
    expect(scores).toHaveLength(3);
    scores.forEach((row, i) => {
      row.forEach((s, j) => {
        expect(s).toBeCloseTo(singleRowLogLikelihood(inputs[i]!.prompt, ` ${GLUE_VERBALIZERS.sst2[j]}`), 3);
      });
    });
    await expect(scorer.scoreLabels(inputs, ["maybe"])).rejects.toThrow(
      /label\(s\) "maybe".*knows "negative", "positive"/,
    );
  });

  it("head mode reads a classification head over the raw text, one column per label", async () => {
    const clf = withClassificationHead(model, 2, 3);
    try {
      const scorer = labelScorerFor(clf, tok, ["negative", "positive"], { mode: "head" });
      const inputs = [
        { prompt: "", text: "a grand voyage" },
        { prompt: "", text: "dull" },
      ];
      const direct = headLogits(clf, tok, inputs);
      const swapped = await scorer.scoreLabels(inputs, ["positive", "negative"]);
      swapped.forEach((row, i) => {
        expect(row).toEqual([direct[i]![1], direct[i]![0]]);
      });
      expect(() => labelScorerFor(model, tok, ["a", "b"], { mode: "head" })).toThrow(
        /needs a sequence-classification model, found task 'causal-lm'/,
      );
      expect(() => labelScorerFor(clf, tok, ["a", "b"])).toThrow(/mode "lm" needs a causal-LM model/);
      expect(() => labelScorerFor(clf, tok, ["a", "b", "c"], { mode: "head" })).toThrow(
        /head has 2 outputs but 3 labels/,
      );
    } finally {
      clf.dispose();
    }
  });
});

describe("textGeneratorFor", () => {
  it("greedy text is the decoded ids of lib/models' generate, cut at stop strings", async () => {
    const gen = textGeneratorFor(model, tok);
    const prompts = ["CHAPTER 1. Loomings\n\nCall me", "The whale"];
    const out = await gen.generate(prompts, { maxTokens: 12, temperature: 0, seed: 0 });
    const ids = generate(
      model,
      prompts.map((p) => tok.encode(p, { addSpecialTokens: false })),
      { maxNewTokens: 12, temperature: 0, eosTokenId: tok.eosId ?? null },
    );
    expect(out).toEqual(ids.map((r) => tok.decode(r, { skipSpecialTokens: true })));
    const stop = out[0]!.slice(2, 4);
    const cut = await gen.generate(prompts.slice(0, 1), { maxTokens: 12, temperature: 0, seed: 0, stop: [stop] });
    expect(cut[0]).toBe(out[0]!.slice(0, out[0]!.indexOf(stop)));
  });
});

describe("glueBatches", () => {
  const ids = (b: { inputIds: tf.Tensor }) => b.inputIds.arraySync() as number[][];

  it("lm rows predict only the gold label word", () => {
    const src = glueBatches("sst2", tok, { limit: 24, batchSize: 8, seqLen: 48, seed: 1 });
    const b = src.next();
    const labels = b.labels.arraySync() as number[];
    const lm = b.lmLabels!.arraySync() as number[][];
    const mask = b.attentionMask.arraySync() as number[][];
    lm.forEach((row, i) => {
      const kept = row.filter((t) => t !== IGNORE_INDEX);
      expect(tok.decode(kept)).toBe(` ${GLUE_VERBALIZERS.sst2[labels[i]!]}`);
      expect(row.length).toBeLessThanOrEqual(48);
      // Kept tokens are real tokens at the end of the row.
      const lastReal = mask[i]!.lastIndexOf(1);
      expect(row[lastReal]).not.toBe(IGNORE_INDEX);
    });
    tf.dispose(b as unknown as tf.TensorContainer);
  });

  it("is seeded: same seed, same batches; another seed, another order", () => {
    const a = glueBatches("sst2", tok, { limit: 32, batchSize: 8, seed: 5 });
    const b = glueBatches("sst2", tok, { limit: 32, batchSize: 8, seed: 5 });
    const c = glueBatches("sst2", tok, { limit: 32, batchSize: 8, seed: 6 });
    const [x, y, z] = [a.next(), b.next(), c.next()];
    expect(ids(x)).toEqual(ids(y));
    expect(ids(x)).not.toEqual(ids(z));
    tf.dispose([x, y, z] as unknown as tf.TensorContainer);
  });

  it("head rows join pairs with EOS and end with EOS", () => {
    const src = glueBatches("mrpc", tok, { limit: 8, batchSize: 8, mode: "head", seqLen: 128, shuffle: false });
    const b = src.next();
    const rows = ids(b);
    const mask = b.attentionMask.arraySync() as number[][];
    rows.forEach((r, i) => {
      const real = r.slice(0, mask[i]!.lastIndexOf(1) + 1);
      expect(real.filter((t) => t === tok.eosId)).toHaveLength(2);
      expect(real[real.length - 1]).toBe(tok.eosId);
      const ex = src.examples[i]!;
      expect(real).toEqual(encodeForHead(tok, ex.text, ex.textPair, 128).ids);
    });
    expect(b.lmLabels).toBeUndefined();
    tf.dispose(b as unknown as tf.TensorContainer);
  });

  it("names bad input", () => {
    expect(() => glueBatches("qnli" as "sst2", tok)).toThrow(/unknown GLUE task "qnli"/);
    expect(() => glueBatches("sst2", tok, { limit: 3, batchSize: 8 })).toThrow(
      /3 example\(s\) cannot fill a batch of 8/,
    );
    expect(() => glueBatches("sst2", tok, { mode: "cls" as "lm" })).toThrow(/unknown mode "cls"/);
  });
});

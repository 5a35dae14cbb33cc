// Logits, loss and every weight's gradient agree with the independent PyTorch reference
// (test/reference/model_reference.py) on the same safetensors files.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import {
  causalLmLoss,
  classificationLoss,
  createModel,
  makeConfig,
  saveModel,
  transposeIfConv1d,
  type TransformerModel,
} from "../../lib/models/index.js";
import { CONFIGS, paddedBatch, randomModel, reference, relErr, tmp } from "./helpers.js";

beforeAll(async () => {
  await useBackend(); // the default: native where built, else wasm
});

/** The model's gradients in checkpoint layout, by HF name. */
function gradients(
  model: TransformerModel,
  lossFn: () => tf.Scalar,
): { loss: number; grads: Map<string, Float32Array> } {
  const vars = [...model.namedParameters()];
  const { value, grads } = tf.variableGrads(
    lossFn,
    vars.map(([, v]) => v),
  );
  const out = new Map<string, Float32Array>();
  for (const [name, v] of vars) {
    const g = grads[v.name] as tf.Tensor;
    out.set(name, transposeIfConv1d(model, name, g));
  }
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

/** Logits at real (unmasked) positions only: padded positions have no meaning. */
function realRows(logits: ArrayLike<number>, mask: number[][], v: number): number[] {
  const out: number[] = [];
  const t = mask[0]!.length;
  mask.forEach((row, b) => {
    row.forEach((m, i) => {
      if (m) for (let j = 0; j < v; j++) out.push(logits[(b * t + i) * v + j] as number);
    });
  });
  return out;
}

describe.each(Object.entries(CONFIGS))("causal LM %s", (label, config) => {
  test("logits, loss and all weight gradients match PyTorch on a padded batch", () => {
    const model = randomModel(() => createModel(config, { seed: 1 }), 7);
    const dir = tmp(`parity-${label}`);
    return saveModel(model, dir).then(() => {
      const { ids, mask } = paddedBatch(config.vocabSize, 3);
      const ref = reference({ mode: "hf", dir, ids, mask, grads: true });
      const idsT = tf.tensor2d(ids, undefined, "int32");
      const maskT = tf.tensor2d(mask, undefined, "int32");
      const logits = model.forward(idsT, { attentionMask: maskT });
      expect(logits.shape).toEqual(ref.shape);
      const err = relErr(
        realRows(logits.dataSync(), mask, config.vocabSize),
        realRows(ref.logits, mask, config.vocabSize),
      );
      expect(err).toBeLessThan(1e-4);
      logits.dispose();

      const { loss, grads } = gradients(model, () =>
        causalLmLoss(model.forward(idsT, { attentionMask: maskT }), idsT, { attentionMask: maskT }),
      );
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
      const refGrads = ref.grads!;
      // Every weight the reference differentiates, and no weight without a gradient here.
      expect([...grads.keys()].sort()).toEqual(Object.keys(refGrads).sort());
      for (const [name, g] of grads) {
        expect({ name, err: relErr(g, refGrads[name]!) < 1e-4 }).toEqual({ name, err: true });
      }
      tf.dispose([idsT, maskT]);
      model.dispose();
    });
  });
});

describe.each([
  [
    "llama",
    makeConfig({
      family: "llama",
      task: "sequence-classification",
      numLabels: 3,
      vocabSize: 31,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 4,
      numKvHeads: 2,
      intermediateSize: 16,
    }),
  ],
  [
    "gpt2",
    makeConfig({
      family: "gpt2",
      task: "sequence-classification",
      numLabels: 3,
      vocabSize: 31,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      maxPositions: 16,
    }),
  ],
] as const)("sequence classification %s", (label, config) => {
  test("scores at the last real token and their gradients match PyTorch", async () => {
    const model = randomModel(() => createModel(config, { seed: 2 }), 11);
    const dir = tmp(`cls-${label}`);
    await saveModel(model, dir);
    const { ids, mask } = paddedBatch(config.vocabSize, 5);
    const labels = [0, 2, 1];
    const ref = reference({ mode: "hf", dir, ids, mask, grads: true, labels });
    const idsT = tf.tensor2d(ids, undefined, "int32");
    const maskT = tf.tensor2d(mask, undefined, "int32");
    const scores = model.classify(idsT, { attentionMask: maskT });
    expect(scores.shape).toEqual([3, 3]);
    expect(relErr(scores.dataSync(), ref.logits)).toBeLessThan(1e-4);
    scores.dispose();
    const labelsT = tf.tensor1d(labels, "int32");
    const { loss, grads } = gradients(model, () =>
      classificationLoss(model.classify(idsT, { attentionMask: maskT }), labelsT),
    );
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
    for (const [name, g] of grads) {
      expect({ name, err: relErr(g, ref.grads![name]!) < 1e-4 }).toEqual({ name, err: true });
    }
    tf.dispose([idsT, maskT, labelsT]);
    model.dispose();
  });
});

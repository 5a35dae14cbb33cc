// The key invariants on real tiny transformers (lib/models): llama (q_proj, v_proj) and GPT-2
// (Conv1D c_attn), every method: identity at attach, merge/unmerge, save → load on a fresh base.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attach, loadAdapter, recordGradNorms, type AttachOptions } from "../../lib/adapters/index.js";
import { causalLmLoss, createModel, makeConfig, type TransformerModel } from "../../lib/models/index.js";
import type { GradNormRecord } from "../../lib/records/types.js";
import { maxAbsDiff } from "./host.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const FAMILIES = {
  llama: {
    targets: ["q_proj", "v_proj"],
    config: makeConfig({
      family: "llama",
      vocabSize: 40,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      intermediateSize: 48,
    }),
  },
  gpt2: {
    targets: ["c_attn"],
    config: makeConfig({ family: "gpt2", vocabSize: 40, hiddenSize: 32, numLayers: 2, numHeads: 4 }),
  },
};

function ids(seed: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: 2 * 8 }, (_, i) => (i * 7 + seed * 13) % 40),
    [2, 8],
    "int32",
  );
}

const CASES = (["llama", "gpt2"] as const).flatMap((f) =>
  (["lora", "boft", "loraga", "urnn", "hybrid"] as const).map((m) => [f, m] as const),
);

describe.each(CASES)("%s + %s", (family, method) => {
  it("identity at attach, merge ≡ unmerged, unmerge restores W, save → load reproduces logits", async () => {
    const { config, targets } = FAMILIES[family];
    const model: TransformerModel = createModel(config, { seed: 1 });
    const input = ids(1);
    const loss = (b: tf.Tensor) => tf.tidy(() => causalLmLoss(model.forward(b), b));
    const before = model.forward(input);
    const opts = { method, targets, seed: 3, r: 2, blockSize: 4, factors: 2 } as AttachOptions;
    if (method === "loraga" || method === "hybrid")
      Object.assign(opts, { estimate: { loss, batches: [ids(2), ids(3)] } });
    const att = attach(model, opts);
    expect(maxAbsDiff(model.forward(input), before)).toBeLessThan(1e-5);

    const opt = tf.train.adam(0.01);
    const records: GradNormRecord[] = [];
    for (let step = 0; step < 3; step++) {
      const { value, grads } = tf.variableGrads(() => loss(input));
      recordGradNorms(grads, att.groups(), step, records);
      att.onGradients(grads, step);
      opt.applyGradients(grads);
      value.dispose();
      Object.values(grads).forEach((g) => {
        g.dispose();
      });
    }
    opt.dispose();
    expect(records.length).toBe(3 * att.groups().length);
    expect(records.every((r) => r.norm > 0 && Number.isFinite(r.norm))).toBe(true);
    if (method === "hybrid") expect(att.gateRecords.length).toBe(3 * att.layers.size);

    const adapted = model.forward(input);
    expect(maxAbsDiff(adapted, before)).toBeGreaterThan(1e-4);
    const w = [...att.layers.values()].map(({ linear }) => linear.weight.clone());
    att.merge();
    expect(maxAbsDiff(model.forward(input), adapted)).toBeLessThan(1e-4);
    att.unmerge();
    [...att.layers.values()].forEach(({ linear }, i) => {
      expect(maxAbsDiff(linear.weight, w[i] as tf.Tensor)).toBe(0);
    });

    const dir = await mkdtemp(join(tmpdir(), "adapters-model-"));
    dirs.push(dir);
    await att.save(dir);
    const fresh = createModel(config, { seed: 1 });
    const loaded = await loadAdapter(fresh, dir);
    expect(maxAbsDiff(fresh.forward(input), adapted)).toBeLessThan(1e-5);
    loaded.detach();
    att.detach();
    expect(maxAbsDiff(model.forward(input), before)).toBeLessThan(1e-6);
  });
});

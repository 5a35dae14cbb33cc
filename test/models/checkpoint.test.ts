// Saving and loading: round trips, sharded == single file, Conv1D layout on disk, llama2.c
// parity against llama2.c's own interleaved-RoPE forward, and the specific error messages.
import * as tf from "@tensorflow/tfjs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { readSafetensorsHeader, writeSafetensors } from "../../lib/io/safetensors.js";
import { createModel, loadModel, saveModel } from "../../lib/models/index.js";
import { CONFIGS, randomModel, reference, relErr, tmp } from "./helpers.js";

import { STORIES } from "./helpers.js";

beforeAll(async () => {
  await useBackend(); // the default: native where built, else wasm
});

function values(m: { namedParameters(): Map<string, tf.Variable> }): Map<string, number[]> {
  return new Map([...m.namedParameters()].map(([k, v]) => [k, Array.from(v.dataSync())]));
}

describe.each(Object.entries(CONFIGS))("round trip %s", (label, config) => {
  test("save then load gives identical tensors and logits; sharded loads the same", async () => {
    const m = randomModel(() => createModel(config, { seed: 4 }), 9);
    const single = tmp(`rt-${label}`);
    const sharded = tmp(`rts-${label}`);
    expect(await saveModel(m, single)).toEqual(["model.safetensors"]);
    const files = await saveModel(m, sharded, { maxShardBytes: 4096 });
    expect(files.length).toBeGreaterThan(1);
    expect(existsSync(join(sharded, "model.safetensors.index.json"))).toBe(true);
    const a = await loadModel(single);
    const b = await loadModel(sharded);
    expect(values(a)).toEqual(values(m));
    expect(values(b)).toEqual(values(m));
    const ids = tf.tensor2d([[1, 2, 3, 4]], undefined, "int32");
    const ref = Array.from(m.forward(ids).dataSync());
    expect(Array.from(a.forward(ids).dataSync())).toEqual(ref);
    expect(Array.from(b.forward(ids).dataSync())).toEqual(ref);
    [m, a, b].forEach((x) => {
      x.dispose();
    });
  });
});

test("GPT-2 Conv1D weights are written [in, out] as Hugging Face stores them", async () => {
  const c = CONFIGS.gpt2!;
  const m = createModel(c);
  const dir = tmp("conv1d");
  await saveModel(m, dir);
  const header = await readSafetensorsHeader(join(dir, "model.safetensors"));
  expect(header["transformer.h.0.attn.c_attn.weight"]!.shape).toEqual([c.hiddenSize, 3 * c.hiddenSize]);
  expect(header["transformer.h.0.mlp.c_proj.weight"]!.shape).toEqual([c.intermediateSize, c.hiddenSize]);
  expect(header["lm_head.weight"]).toBeUndefined();
  const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
  expect(config).toMatchObject({ model_type: "gpt2", n_embd: c.hiddenSize, architectures: ["GPT2LMHeadModel"] });
  m.dispose();
});

test("a GPT-2 checkpoint without the transformer. prefix (the original hub layout) loads", async () => {
  const m = randomModel(() => createModel(CONFIGS.gpt2!), 12);
  const dir = tmp("gpt2-noprefix");
  await saveModel(m, dir);
  const stripped = new Map([...m.checkpointTensors()].map(([k, v]) => [k.replace(/^transformer\./, ""), v]));
  // The original upload also carries attention-mask buffers, which are not weights.
  stripped.set("h.0.attn.bias", { shape: [1, 1, 32, 32], data: new Float32Array(32 * 32) });
  await writeSafetensors(join(dir, "model.safetensors"), stripped);
  const back = await loadModel(dir);
  expect(values(back)).toEqual(values(m));
  [m, back].forEach((x) => {
    x.dispose();
  });
});

describe("checkpoint errors", () => {
  async function savedLlama(): Promise<string> {
    const m = createModel(CONFIGS.llamaMqa!);
    const dir = tmp("bad");
    await saveModel(m, dir);
    m.dispose();
    return dir;
  }

  async function rewriteWeights(
    dir: string,
    edit: (t: Map<string, { shape: number[]; data: Float32Array }>) => void,
  ): Promise<void> {
    const m = await loadModel(dir);
    const tensors = m.checkpointTensors();
    m.dispose();
    edit(tensors);
    await writeSafetensors(join(dir, "model.safetensors"), tensors);
  }

  test("a missing tensor is named with its expected shape", async () => {
    const dir = await savedLlama();
    await rewriteWeights(dir, (t) => t.delete("model.layers.0.mlp.up_proj.weight"));
    await expect(loadModel(dir)).rejects.toThrow(
      /model.safetensors: tensor 'model.layers.0.mlp.up_proj.weight' is missing \(expected shape \[12, 16\]\)/,
    );
  });

  test("a tensor of the wrong shape is named with expected and found", async () => {
    const dir = await savedLlama();
    await rewriteWeights(dir, (t) => t.set("model.norm.weight", { shape: [15], data: new Float32Array(15) }));
    await expect(loadModel(dir)).rejects.toThrow(
      /tensor 'model.norm.weight' has the wrong shape: expected \[16\], found \[15\]/,
    );
  });

  test("an unknown architecture names config.json and the model_type", async () => {
    const dir = await savedLlama();
    await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "bert" }));
    await expect(loadModel(dir)).rejects.toThrow(/config.json: unknown architecture: model_type "bert"/);
  });

  test("a truncated safetensors file is reported as truncated", async () => {
    const dir = await savedLlama();
    const buf = await readFile(join(dir, "model.safetensors"));
    await writeFile(join(dir, "model.safetensors"), buf.subarray(0, buf.byteLength - 100));
    await expect(loadModel(dir)).rejects.toThrow(/model.safetensors: truncated/);
  });

  test("missing files are named", async () => {
    const dir = await savedLlama();
    await rm(join(dir, "model.safetensors"));
    await expect(loadModel(dir)).rejects.toThrow(/no weights: expected model.safetensors/);
    await expect(loadModel(join(dir, "nope"))).rejects.toThrow(/nope: model not found/);
  });
});

describe("stories260K (llama2.c)", () => {
  test("logits match llama2.c's interleaved-RoPE forward on the raw file", async () => {
    const m = await loadModel(STORIES);
    expect(m.config).toMatchObject({
      family: "llama",
      hiddenSize: 64,
      numLayers: 5,
      numHeads: 8,
      numKvHeads: 4,
      vocabSize: 512,
      tieWordEmbeddings: true,
    });
    const ids = [1, 403, 407, 261, 378, 425, 266, 1, 24, 90, 300, 511, 2];
    const ref = reference({ mode: "llama2c", path: STORIES, ids });
    const logits = m.forward(tf.tensor2d([ids], undefined, "int32"));
    expect(logits.shape).toEqual([1, ...ref.shape]);
    expect(relErr(logits.dataSync(), ref.logits)).toBeLessThan(1e-4);
    m.dispose();
  });
});

// Shared fixtures for model tests: tiny configs, randomised weights, the Python reference.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPythonJson } from "../helpers/python.js";
import { makeConfig, type ModelConfig, type TransformerModel } from "../../lib/models/index.js";
import { mulberry32 } from "../../lib/random/mulberry32.js";

export const REFERENCE = fileURLToPath(new URL("../reference/model_reference.py", import.meta.url));

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `peft-${prefix}-`));
}

export const CONFIGS: Record<string, ModelConfig> = {
  llamaMhaUntied: makeConfig({
    family: "llama",
    vocabSize: 37,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 24,
    tieWordEmbeddings: false,
  }),
  llamaGqaTied: makeConfig({
    family: "llama",
    vocabSize: 41,
    hiddenSize: 24,
    numLayers: 2,
    numHeads: 6,
    numKvHeads: 2,
    intermediateSize: 20,
    tieWordEmbeddings: true,
  }),
  llamaMqa: makeConfig({
    family: "llama",
    vocabSize: 29,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 4,
    numKvHeads: 1,
    intermediateSize: 12,
    ropeTheta: 500,
  }),
  gpt2: makeConfig({ family: "gpt2", vocabSize: 43, hiddenSize: 16, numLayers: 2, numHeads: 2, maxPositions: 32 }),
};

/** Random weights large enough that every term matters, norms and biases included. */
export function randomModel(create: () => TransformerModel, seed: number): TransformerModel {
  const model = create();
  const rng = mulberry32(seed);
  for (const [, v] of model.namedParameters()) {
    const data = Float32Array.from({ length: v.size }, () => (rng() - 0.5) * 0.6);
    if (v.rank === 1) for (let i = 0; i < data.length; i++) data[i] = 1 + (data[i] as number);
    v.assign(tf.tensor(data, v.shape));
  }
  return model;
}

export interface ReferenceResult {
  logits: number[];
  shape: number[];
  loss: number;
  grads?: Record<string, number[]>;
}

export function reference(req: Record<string, unknown>): ReferenceResult {
  return runPythonJson<ReferenceResult>(REFERENCE, [], JSON.stringify(req));
}

/** max |a − b| / max |b|: error relative to the reference's scale. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return num / Math.max(den, 1e-30);
}

/** Batch with a full row, a right-padded row and a left-padded row (pad id 0). */
export function paddedBatch(vocab: number, seed: number): { ids: number[][]; mask: number[][] } {
  const rng = mulberry32(seed);
  const tok = () => 1 + Math.floor(rng() * (vocab - 1));
  const t = 7;
  const ids = [
    Array.from({ length: t }, tok),
    [...Array.from({ length: 4 }, tok), 0, 0, 0],
    [0, 0, ...Array.from({ length: 5 }, tok)],
  ];
  const mask = [new Array(t).fill(1), [1, 1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1, 1]];
  return { ids, mask };
}

/** The real llama2.c checkpoint shared read-only by all tests. */
export { STORIES } from "../helpers/shared.js";

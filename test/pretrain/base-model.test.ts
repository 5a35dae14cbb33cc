// The self-pre-trained base model at smoke scale (built on the fly, as CI does): it learns
// (held-out loss falls well below the uniform-guess level it starts at), the saved folder is the
// model that was measured, the cache is reused, and the same seed rebuilds the same bytes.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { loadTokenizer } from "../../lib/io/index.js";
import { loadModel } from "../../lib/models/index.js";
import {
  corpusParts,
  ensureBaseModel,
  holdOutEnd,
  meanLmLoss,
  readPretrainReport,
  recipeFor,
  recipeKey,
  tokenWindows,
} from "../../lib/pretrain/index.js";

const roots: string[] = [];
const tempRoot = () => {
  const d = mkdtempSync(join(tmpdir(), "base-model-"));
  roots.push(d);
  return d;
};
let cacheA: string;
let dirA: string;

beforeAll(async () => {
  await useBackend(); // the default: native where built, else wasm
  cacheA = tempRoot();
  dirA = await ensureBaseModel({ scale: "smoke", seed: 0, cacheDir: cacheA });
});

afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

describe("ensureBaseModel (smoke)", () => {
  it("writes a Hugging Face folder named by the recipe key", () => {
    expect(dirA.startsWith(cacheA)).toBe(true);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "pretrain.json"])
      expect(statSync(join(dirA, f)).size).toBeGreaterThan(0);
    const config = JSON.parse(readFileSync(join(dirA, "config.json"), "utf8"));
    expect(config.model_type).toBe("llama");
    expect(dirA.endsWith(recipeKey(recipeFor("smoke"), 0, tf.getBackend()))).toBe(true);
  });

  it("learns: held-out loss starts near ln(vocab) and ends clearly below it", async () => {
    const r = await readPretrainReport(dirA);
    // A near-zero init predicts almost uniformly: cross-entropy ≈ ln V.
    expect(Math.abs(r.lossBefore - Math.log(r.vocabSize))).toBeLessThan(0.2);
    expect(r.lossAfter).toBeLessThan(r.lossBefore - 0.7);
    expect(r.losses).toHaveLength(recipeFor("smoke").train.steps);
  });

  it("the saved model is the one measured: reloaded held-out loss matches the report", async () => {
    const r = await readPretrainReport(dirA);
    const tok = await loadTokenizer(dirA);
    const model = await loadModel(dirA);
    try {
      expect(model.config.vocabSize).toBe(tok.vocabSize);
      const parts = corpusParts(r.recipe.corpus);
      expect(parts.map((p) => p.name)).toEqual(r.parts.map((p) => p.name));
      // Each part's held-out end, re-derived from the text: the report's per-part and mean losses.
      const losses = parts.map((p, i) => {
        const ids = tok.encode(holdOutEnd(p.text, r.recipe.heldOutFraction).heldOut, { addSpecialTokens: false });
        const loss = meanLmLoss(model, tokenWindows(ids, r.recipe.train.seqLen).slice(0, r.recipe.heldOutWindows), 4);
        expect(loss, p.name).toBeCloseTo(r.parts[i]!.lossAfter, 4);
        return loss;
      });
      expect(losses.reduce((a, b) => a + b, 0) / losses.length).toBeCloseTo(r.lossAfter, 4);
    } finally {
      model.dispose();
    }
  });

  it("reuses the cached folder without rebuilding", async () => {
    const before = statSync(join(dirA, "model.safetensors")).mtimeMs;
    const again = await ensureBaseModel({ scale: "smoke", seed: 0, cacheDir: cacheA });
    expect(again).toBe(dirA);
    expect(statSync(join(dirA, "model.safetensors")).mtimeMs).toBe(before);
  });

  it("is deterministic: the same seed rebuilds identical bytes", async () => {
    const dirB = await ensureBaseModel({ scale: "smoke", seed: 0, cacheDir: tempRoot() });
    expect(dirB).not.toBe(dirA);
    for (const f of ["model.safetensors", "tokenizer.json", "config.json"]) {
      expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
    }
    expect(tf.memory().numTensors).toBeLessThan(100);
  });

  it("keys differ by seed and backend, and bad options are named", async () => {
    const r = recipeFor("smoke");
    expect(recipeKey(r, 1, "wasm")).not.toBe(recipeKey(r, 0, "wasm"));
    expect(recipeKey(r, 0, "cpu")).not.toBe(recipeKey(r, 0, "wasm"));
    expect(recipeKey({ ...r, train: { ...r.train, steps: r.train.steps + 1 } }, 0, "wasm")).not.toBe(
      recipeKey(r, 0, "wasm"),
    );
    await expect(ensureBaseModel({ scale: "huge" as "smoke", cacheDir: cacheA })).rejects.toThrow(
      /unknown scale "huge".*"smoke" or "small"/,
    );
    await expect(ensureBaseModel({ scale: "smoke", seed: -1, cacheDir: cacheA })).rejects.toThrow(
      /seed must be an integer.*found -1/,
    );
    await expect(readPretrainReport(cacheA)).rejects.toThrow(/pretrain.json: not found/);
  });
});

// Creating or loading a model and disposing it leaves the tensor count where it was.
import * as tf from "@tensorflow/tfjs";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createModel, loadModel, saveModel } from "../../lib/models/index.js";
import { CONFIGS, tmp } from "./helpers.js";

describe("model lifetime", () => {
  it.each(Object.keys(CONFIGS))("%s: createModel then dispose() leaves no tensor behind", (name) => {
    const before = tf.memory().numTensors;
    const model = createModel(CONFIGS[name]!, { seed: 1 });
    // one tensor per weight while alive (a tied lm_head shares the embedding's)
    expect(tf.memory().numTensors - before).toBe(model.namedParameters().size);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(["llamaGqaTied", "gpt2"])("%s: loadModel then dispose() leaves no tensor behind", async (name) => {
    const dir = tmp("leak");
    try {
      const saved = createModel(CONFIGS[name]!, { seed: 2 });
      await saveModel(saved, dir);
      saved.dispose();
      const before = tf.memory().numTensors;
      const model = await loadModel(dir);
      expect(tf.memory().numTensors - before).toBe(model.namedParameters().size);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Backend selection, and the same model giving the same numbers on cpu, wasm and native.
import * as tf from "@tensorflow/tfjs";
import { afterEach, expect, test } from "vitest";
import { nativeStatus, parseBackendName, useBackend } from "../../lib/backend/index.js";
import { causalLmLoss, createModel, makeConfig } from "../../lib/models/index.js";

afterEach(() => {
  delete process.env.PEFT_BACKEND;
});

test("auto picks the fastest that starts and says why faster ones were skipped", async () => {
  const choice = await useBackend();
  expect(tf.getBackend()).toBe(choice.name);
  // tfjs-node(-gpu) are not installed here: both are listed as skipped before native (or, where the
  // addon is not built, wasm with the reason) wins.
  const native = nativeStatus();
  expect(choice.name).toBe(native.available ? "native" : "wasm");
  expect(choice.skipped).toEqual([
    { name: "tensorflow-gpu", why: "package not installed" },
    { name: "tensorflow", why: "package not installed" },
    ...(native.available ? [] : [{ name: "native", why: native.reason }]),
  ]);
});

test("an argument or PEFT_BACKEND forces a backend", async () => {
  expect((await useBackend("cpu")).name).toBe("cpu");
  expect(tf.getBackend()).toBe("cpu");
  process.env.PEFT_BACKEND = "wasm";
  const c = await useBackend();
  expect(c).toMatchObject({ name: "wasm", reason: "forced by PEFT_BACKEND=wasm" });
  await expect(useBackend("tfjs-node")).rejects.toThrow(
    /backend 'tensorflow' was requested but could not start: package not installed/,
  );
  expect(() => parseBackendName("metal")).toThrow(/unknown backend 'metal'/);
});

/** Logits and every gradient of a small llama + gpt2 on the active backend. */
function run(): Float32Array[] {
  const out: Float32Array[] = [];
  for (const config of [
    makeConfig({
      family: "llama",
      vocabSize: 23,
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 4,
      numKvHeads: 2,
      intermediateSize: 16,
    }),
    makeConfig({ family: "gpt2", vocabSize: 23, hiddenSize: 16, numLayers: 1, numHeads: 2, maxPositions: 8 }),
  ]) {
    const m = createModel(config, { seed: 3, std: 0.3 });
    const ids = tf.tensor2d(
      [
        [1, 5, 7, 2],
        [0, 4, 9, 3],
      ],
      undefined,
      "int32",
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [0, 1, 1, 1],
      ],
      undefined,
      "int32",
    );
    out.push(m.forward(ids, { attentionMask: mask }).dataSync() as Float32Array);
    const { grads } = tf.variableGrads(() =>
      causalLmLoss(m.forward(ids, { attentionMask: mask }), ids, { attentionMask: mask }),
    );
    for (const v of m.namedParameters().values()) out.push(grads[v.name]!.dataSync() as Float32Array);
    m.dispose();
  }
  return out;
}

test("cpu, wasm and native agree within float tolerance on forward and gradients", async () => {
  await useBackend("cpu");
  const cpu = run();
  for (const backend of ["wasm", "native"]) {
    await useBackend(backend);
    const other = run();
    expect(other.length).toBe(cpu.length);
    cpu.forEach((a, i) => {
      const b = other[i]!;
      const scale = Math.max(...Array.from(a, Math.abs));
      const diff = Math.max(...Array.from(a, (x, j) => Math.abs(x - (b[j] as number))));
      expect(diff / scale, `${backend}, output ${i}`).toBeLessThan(1e-4);
    });
  }
});

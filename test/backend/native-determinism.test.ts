// Same seed, same numbers on the native backend: a few LoRA training steps of a small LLaMA repeat bit for
// bit at a fixed thread count, and (OpenBLAS splits a GEMM over threads by rows and columns, never along
// the summed dimension, and the addon's own reductions use fixed blocks) across thread counts too.
// Against wasm the same run agrees within float tolerance.
import * as tf from "@tensorflow/tfjs";
import { expect, test } from "vitest";
import { attach } from "../../lib/adapters/index.js";
import { useBackend } from "../../lib/backend/index.js";
import { causalLmLoss, createModel, makeConfig } from "../../lib/models/index.js";
import { createOptimizer } from "../../lib/train/optim.js";

const config = makeConfig({
  family: "llama",
  vocabSize: 97,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  intermediateSize: 96,
});

/** Losses of 3 steps and the final LoRA weights, as plain numbers. */
function run(): { losses: number[]; weights: number[][] } {
  const model = createModel(config, { seed: 5 });
  const lora = attach(model, { method: "lora", targets: /q_proj|v_proj/, r: 4, alpha: 8, seed: 1 });
  const vars = lora.groups().flatMap((g) => g.variables);
  const opt = createOptimizer({ kind: "adamw", lr: 1e-2, weightDecay: 0 });
  const ids = tf.tensor2d(
    Array.from({ length: 4 * 48 }, (_, i) => (i * 37 + 11) % config.vocabSize),
    [4, 48],
    "int32",
  );
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() => causalLmLoss(model.forward(ids), ids), vars);
    losses.push(value.dataSync()[0] as number);
    opt.apply(
      vars.map((v) => ({ key: v.name, variable: v, grad: grads[v.name]! })),
      1e-2,
    );
    tf.dispose([value, ...Object.values(grads)]);
  }
  const weights = vars.map((v) => Array.from(v.dataSync()));
  ids.dispose();
  opt.dispose();
  lora.detach();
  model.dispose();
  return { losses, weights };
}

test("repeats bit for bit at a fixed thread count and across thread counts; matches wasm within tolerance", async () => {
  await useBackend({ backend: "native", threads: 2 });
  const a = run();
  const b = run();
  expect(b).toEqual(a);
  await useBackend({ backend: "native", threads: 1 });
  expect(run()).toEqual(a);
  // the loss moves, so the comparison above is not between untrained copies
  expect(a.losses[2]).toBeLessThan(a.losses[0]! - 0.01);
  await useBackend("wasm");
  const w = run();
  for (const [i, l] of w.losses.entries()) expect(Math.abs(l - a.losses[i]!)).toBeLessThan(1e-4);
});

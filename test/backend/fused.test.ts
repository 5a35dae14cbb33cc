// The fused ops (lib/backend/fused.ts) on the native backend against the tfjs-op compositions they
// replace, run on the cpu backend: values and gradients, on odd sizes, per-batch and shared rotary
// tables and masks, a fully masked attention row, ignored and padded label positions. Each test also
// checks that the native run really went through the fused kernel.
import * as tf from "@tensorflow/tfjs";
import { expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { fusedRopeHeads } from "../../lib/backend/fused.js";
import { attend, splitHeads } from "../../lib/models/attention.js";
import { causalLmLoss } from "../../lib/models/index.js";
import { rmsNorm, swiGlu } from "../../lib/models/ops.js";
import { mulberry32 } from "../../lib/random/mulberry32.js";
import { createOptimizer } from "../../lib/train/optim.js";

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = mulberry32(seed);
  return tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
    shape,
  );
}

/** Value and gradients (w.r.t. `xs`) of sum(f(xs) · weights), as plain arrays. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: () => tf.Tensor[], seed: number) {
  return tf.tidy(() => {
    const inputs = xs();
    const out = f(...inputs);
    const w = rand(out.shape, seed);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(inputs);
    return [out, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

/** Runs `case` on cpu (the composition) and on native (the fused kernel, which must appear in the profile). */
async function compare(kernel: string, f: (...xs: tf.Tensor[]) => tf.Tensor, xs: () => tf.Tensor[], tol = 2e-5) {
  await useBackend("cpu");
  const ref = valueAndGrads(f, xs, 99);
  await useBackend("native");
  const got = valueAndGrads(f, xs, 99);
  const profile = await tf.profile(() => tf.tidy(() => f(...xs())));
  expect(profile.kernelNames).toContain(kernel);
  expect(got.length).toBe(ref.length);
  got.forEach((g, i) => {
    const r = ref[i]!;
    expect(g.length).toBe(r.length);
    const scale = Math.max(1e-6, ...r.map(Math.abs));
    const err = Math.max(...g.map((x, j) => Math.abs(x - r[j]!)));
    expect(err / scale, `${kernel} output ${i}`).toBeLessThan(tol);
  });
}

test("RMSNorm: odd width, several leading dimensions", async () => {
  await compare(
    "PeftRmsNorm",
    (x, w) => rmsNorm(x!, w!, 1e-5),
    () => [rand([3, 5, 7], 1, 3), rand([7], 2)],
  );
});

test("SwiGLU: large positive and negative gates", async () => {
  await compare(
    "PeftSwiGlu",
    (g, u) => swiGlu(g!, u!),
    () => [rand([2, 3, 11], 3, 12), rand([2, 3, 11], 4)],
  );
});

test("rotary head split: per-batch and shared cos/sin tables", async () => {
  const composite = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, heads: number) => {
    const s = splitHeads(x, heads, (x.shape[2] as number) / heads);
    const [x1, x2] = tf.split(s, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.add(tf.mul(s, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
  };
  // Both paths through one function: fused where the backend has the kernel, else the composition.
  const op = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor) =>
    fusedRopeHeads(x, cos, sin, 3) ?? composite(x, cos, sin, 3);
  for (const tb of [2, 1]) {
    await compare(
      "PeftRopeHeads",
      (x) => op(x!, rand([tb, 1, 5, 6], 6), rand([tb, 1, 5, 6], 7)),
      () => [rand([2, 5, 18], 5)],
    );
  }
});

test("attention softmax: per-batch padding mask with a fully masked row, and a shared causal mask", async () => {
  // attend() builds q·kᵀ, the fused masked softmax, then ·v; grouped heads (4 query, 2 key/value).
  const pad = tf.tensor4d([...Array(20).fill(0), ...Array(5).fill(-1e9), ...Array(15).fill(0)], [2, 1, 4, 5]);
  const causal = tf.tensor4d(
    Array.from({ length: 20 }, (_, i) => (i % 5 > Math.floor(i / 5) + 1 ? -1e9 : 0)),
    [1, 1, 4, 5],
  );
  for (const mask of [pad, causal]) {
    await compare(
      "PeftAttnSoftmax",
      (q, k, v) => attend(q!, k!, v!, mask),
      () => [rand([2, 4, 4, 6], 8, 2), rand([2, 2, 5, 6], 9, 2), rand([2, 2, 5, 6], 10)],
    );
  }
});

test("LM cross-entropy: ignored labels and left padding leave those positions out", async () => {
  const labels = tf.tensor2d(
    [
      [3, 7, -100, 2, 9, 1],
      [0, 0, 4, 8, 8, 6],
    ],
    undefined,
    "int32",
  );
  const mask = tf.tensor2d(
    [
      [1, 1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1],
    ],
    undefined,
    "int32",
  );
  await compare(
    "PeftCrossEntropy",
    (logits) => causalLmLoss(logits!, labels, { attentionMask: mask }),
    () => [rand([2, 6, 11], 11, 4)],
  );
});

test("AdamW: the one-pass update is bit for bit the composed one, with and without weight decay", async () => {
  const run = (weightDecay: number) => {
    const opt = createOptimizer({ kind: "adamw", lr: 3e-2, weightDecay });
    const p = tf.variable(rand([7, 13], 12));
    for (let step = 0; step < 3; step++) {
      const grad = rand([7, 13], 20 + step, 5);
      opt.apply([{ key: "p", variable: p, grad }], 3e-2 * (step + 1));
      grad.dispose();
    }
    const out = Array.from(p.dataSync());
    p.dispose();
    opt.dispose();
    return out;
  };
  for (const wd of [0, 0.1]) {
    await useBackend("cpu");
    const ref = run(wd);
    await useBackend("native");
    const profile = await tf.profile(() => void run(wd));
    expect(profile.kernelNames).toContain("PeftAdamW");
    const got = run(wd);
    expect(got).toEqual(ref);
    expect(got).not.toEqual(Array.from(rand([7, 13], 12).dataSync())); // the steps moved the weights
  }
});

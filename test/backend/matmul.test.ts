// The fast-path matMul equals tf.matMul in value and gradient for every transpose combination.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, expect, test } from "vitest";
import { matMul, useBackend } from "../../lib/backend/index.js";

beforeAll(async () => {
  await useBackend("wasm");
});

function close(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  const s = tf.max(tf.abs(b)).dataSync()[0]!;
  expect(d / s).toBeLessThan(1e-5);
}

test.each([
  [false, false],
  [false, true],
  [true, false],
  [true, true],
])("transposeA=%s transposeB=%s: same values and gradients as tf.matMul (rank 2 and 4)", (ta, tb) => {
  for (const batch of [[], [2, 3]]) {
    const a = tf.randomNormal([...batch, ...(ta ? [5, 4] : [4, 5])], 0, 1, "float32", 1);
    const b = tf.randomNormal([...batch, ...(tb ? [6, 5] : [5, 6])], 0, 1, "float32", 2);
    const w = tf.randomNormal([...batch, 4, 6], 0, 1, "float32", 3); // weights the output so the gradient is not uniform
    const loss = (f: typeof tf.matMul) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y, ta, tb), w));
    close(matMul(a, b, ta, tb), tf.matMul(a, b, ta, tb));
    const [ga, gb] = tf.grads(loss(matMul as typeof tf.matMul))([a, b]);
    const [ra, rb] = tf.grads(loss(tf.matMul))([a, b]);
    close(ga!, ra!);
    close(gb!, rb!);
  }
});

test("leaves no intermediate tensors", () => {
  const a = tf.randomNormal([3, 4]);
  const b = tf.randomNormal([5, 4]);
  const before = tf.memory().numTensors;
  matMul(a, b, false, true).dispose();
  expect(tf.memory().numTensors).toBe(before);
});

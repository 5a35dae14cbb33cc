// The Walsh–Hadamard stand-in for F and the whole uRNN product against a dense complex numpy
// construction (test/reference/adapter_urnn.py).
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { attach } from "../../lib/adapters/index.js";
import { hadamard } from "../../lib/adapters/urnn/hadamard.js";
import type { UrnnLayer } from "../../lib/adapters/urnn/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import { runPythonJson } from "../helpers/python.js";
import { inputs, maxAbsDiff, seededArray } from "./host.js";

/** Sylvester's recursion H_2n = [[H, H], [H, −H]], normalised, ⊗ I_odd. */
function denseHadamard(n: number): tf.Tensor2D {
  let pow = 1;
  while (n % (pow * 2) === 0) pow *= 2;
  let h = [[1]];
  while (h.length < pow) h = [...h.map((r) => [...r, ...r]), ...h.map((r) => [...r, ...r.map((v) => -v)])];
  const odd = n / pow;
  const out = new Float32Array(n * n);
  for (let a = 0; a < pow; a++)
    for (let b = 0; b < pow; b++)
      for (let j = 0; j < odd; j++) out[(a * odd + j) * n + b * odd + j] = (h[a]?.[b] as number) / Math.sqrt(pow);
  return tf.tensor2d(out, [n, n]);
}

describe("Walsh–Hadamard transform", () => {
  it.each([8, 24, 64, 96, 512])("n = %i equals the dense Sylvester matrix and is orthogonal", (n) => {
    const x = inputs(3, n, n);
    const ref = denseHadamard(n);
    expect(maxAbsDiff(hadamard(x), tf.matMul(x, ref))).toBeLessThan(1e-5);
    const m = hadamard(tf.eye(n) as tf.Tensor2D);
    expect(maxAbsDiff(tf.matMul(m, m, true), tf.eye(n))).toBeLessThan(1e-5);
  });
});

describe("uRNN transform", () => {
  it.each([16, 24])("matches the dense complex product U = T(θ)·T(θ₀)⁻¹ (in = %i)", (inF) => {
    const w = tf.variable(tf.tensor2d(seededArray(4 * inF, 1), [4, inF]), true);
    const lin = new Linear("model.p", w, null);
    const att = attach({ linears: () => new Map([["model.p", lin]]) }, { method: "urnn", targets: ["p"], seed: 9 });
    const layer = att.layers.get("model.p")?.layer as UrnnLayer;
    const n = inF / 2;
    layer.theta.assign(tf.tensor2d(seededArray(3 * n, 2, 3), [3, n]));
    layer.v.assign(tf.tensor3d(seededArray(4 * n, 3), [2, 2, n]));
    const x = inputs(4, inF, 5);
    const ref = runPythonJson<{ y: number[] }>(
      "test/reference/adapter_urnn.py",
      [],
      JSON.stringify({
        n,
        theta: Array.from(layer.theta.dataSync()),
        v: Array.from(layer.v.dataSync()),
        v0: Array.from(layer.v0.dataSync()),
        perm: layer.perm,
        x: Array.from(x.dataSync()),
      }),
    );
    const ours = layer.transform(x);
    expect(maxAbsDiff(ours, x)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(ours, tf.tensor2d(ref.y, [4, inF]))).toBeLessThan(1e-5);
    att.detach();
  });
});

// The uRNN transform's hand-written gradients (the fixed inverse, the Hadamard stages and the
// 0/1 permutation product are custom ops) against independent ones: the input gradient of a
// linear map from its dense matrix, parameter gradients from central finite differences.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { attach } from "../../lib/adapters/index.js";
import type { UrnnLayer } from "../../lib/adapters/urnn/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import { inputs, maxAbsDiff, seededArray } from "./host.js";

function layerFor(inF: number) {
  const w = tf.variable(tf.tensor2d(seededArray(4 * inF, 1), [4, inF]), true);
  const lin = new Linear("model.p", w, null);
  const att = attach({ linears: () => new Map([["model.p", lin]]) }, { method: "urnn", targets: ["p"], seed: 4 });
  const layer = att.layers.get("model.p")?.layer as UrnnLayer;
  const n = inF / 2;
  layer.theta.assign(tf.tensor2d(seededArray(3 * n, 2, 2), [3, n]));
  layer.v.assign(tf.tensor3d(seededArray(4 * n, 3), [2, 2, n]));
  return { att, layer, w };
}

describe("uRNN gradients", () => {
  it.each([16, 24, 64])("input gradient is w·U for the dense U (in = %i)", (inF) => {
    const { att, layer, w } = layerFor(inF);
    const x = inputs(5, inF, 7);
    const weights = inputs(5, inF, 8);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(layer.transform(x as tf.Tensor2D), weights)))(x);
    // transform(x) = x·Mᵀ-rows: transform(x) = x·M with M = matrixT(), so d/dx = weights·Mᵀ
    const expected = tf.matMul(weights, layer.matrixT(), false, true);
    expect(maxAbsDiff(g, expected)).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(expected)).dataSync()[0]).toBeGreaterThan(0.1);
    att.detach();
    w.dispose();
  });

  it("θ and v gradients match central finite differences", () => {
    const inF = 12;
    const { att, layer, w } = layerFor(inF);
    const x = inputs(3, inF, 9);
    const weights = inputs(3, inF, 10);
    const f = () => tf.sum(tf.mul(layer.transform(x), weights)) as tf.Scalar;
    const { grads } = tf.variableGrads(f, [layer.theta, layer.v]);
    const eps = 1e-2;
    for (const p of [layer.theta, layer.v]) {
      const base = Float32Array.from(p.dataSync());
      const analytic = grads[p.name]!.dataSync();
      let worst = 0,
        scale = 0;
      for (let i = 0; i < base.length; i++) {
        const at = (d: number) => {
          const moved = Float32Array.from(base);
          moved[i] = (moved[i] as number) + d;
          p.assign(tf.tensor(moved, p.shape));
          return f().dataSync()[0] as number;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        worst = Math.max(worst, Math.abs(numeric - (analytic[i] as number)));
        scale = Math.max(scale, Math.abs(numeric));
      }
      p.assign(tf.tensor(base, p.shape));
      expect(scale).toBeGreaterThan(0.1);
      expect(worst / scale).toBeLessThan(2e-3);
    }
    att.detach();
    w.dispose();
  });
});

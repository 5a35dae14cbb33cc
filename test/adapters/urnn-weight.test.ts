// The uRNN adapter's weight-space form, y = x·(W·U)ᵀ + b with U = T(θ)·C and C = T(θ₀)⁻¹ built
// once, against the token-space form it replaced, base(T(θ)·T(θ₀)⁻¹ applied to every row of x):
// the same map, so outputs and every gradient (θ, v, input) agree to float32 rounding.
// Tolerance: each form is ~20 float32 products of length ≤ in = 24 on values O(1), so rounding
// differences stay near in·ε ≈ 1e-6 relative; 2e-5 of the largest entry leaves margin while a
// wrong sign, a missing transpose or a stale C moves entries by O(1).
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { attach } from "../../lib/adapters/index.js";
import { UrnnLayer } from "../../lib/adapters/urnn/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import { maxAbsDiff, seededArray } from "./host.js";

const IN = 24,
  OUT = 6;

function setup(seed: number) {
  const w = tf.variable(tf.tensor2d(seededArray(OUT * IN, seed), [OUT, IN]), true);
  const b = tf.variable(tf.tensor1d(seededArray(OUT, seed + 1)), true);
  const lin = new Linear("model.p", w, b);
  const att = attach({ linears: () => new Map([["model.p", lin]]) }, { method: "urnn", targets: ["p"], seed });
  const layer = att.layers.get("model.p")?.layer as UrnnLayer;
  const dispose = () => {
    att.detach();
    tf.dispose([w, b]);
  };
  return { lin, att, layer, dispose };
}

function train(layer: UrnnLayer, seed: number): void {
  const n = IN / 2;
  layer.theta.assign(tf.tensor2d(seededArray(3 * n, seed, 2), [3, n]));
  layer.v.assign(tf.add(layer.v0, tf.tensor3d(seededArray(4 * n, seed + 1, 0.5), [2, 2, n])));
}

/** Output and gradients of sum(y ⊙ r) for y = f(x), x [2, 8, in]: θ, v and x. */
function outputAndGrads(layer: UrnnLayer, f: (x: tf.Tensor) => tf.Tensor) {
  const x = tf.variable(tf.tensor3d(seededArray(2 * 8 * IN, 21), [2, 8, IN]));
  const r = tf.tensor3d(seededArray(2 * 8 * OUT, 22), [2, 8, OUT]);
  const y = f(x);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x), r)) as tf.Scalar, [layer.theta, layer.v, x]);
  return { y, theta: grads[layer.theta.name], v: grads[layer.v.name], x: grads[x.name] } as Record<string, tf.Tensor>;
}

function expectSame(layer: UrnnLayer, lin: Linear): void {
  expect(layer.weightSpace(16)).toBe(true);
  const weight = outputAndGrads(layer, (x) => lin.apply(x));
  const token = outputAndGrads(layer, (x) =>
    tf.reshape(lin.baseForward(layer.transformTokens(tf.reshape(x, [-1, IN]) as tf.Tensor2D)), [2, 8, OUT]),
  );
  for (const key of ["y", "theta", "v", "x"]) {
    const ref = token[key] as tf.Tensor;
    const scale = tf.max(tf.abs(ref)).dataSync()[0] as number;
    expect(scale, key).toBeGreaterThan(0.1);
    expect(maxAbsDiff(weight[key] as tf.Tensor, ref) / scale, key).toBeLessThan(2e-5);
  }
}

describe("uRNN in weight space", () => {
  it("output and θ, v, input gradients equal the token-space form", () => {
    const { lin, layer, dispose } = setup(3);
    train(layer, 5);
    expectSame(layer, lin);
    dispose();
  });

  it("after setState with another v0 and perm, C is rebuilt: same again, and U = I at the file's init", () => {
    const a = setup(3);
    const other = setup(11);
    const state = other.layer.state();
    expect(maxAbsDiff(state.get("urnn_v0") as tf.Tensor, a.layer.v0)).toBeGreaterThan(0.1);
    expect(other.layer.perm).not.toEqual(a.layer.perm);
    a.layer.setState(state);
    expect(maxAbsDiff(a.layer.matrixT(), tf.eye(IN))).toBeLessThan(1e-5);
    train(a.layer, 7);
    expectSame(a.layer, a.lin);
    // and it is the other layer's map: same file, same U
    train(other.layer, 7);
    expect(maxAbsDiff(a.layer.unitary(), other.layer.unitary())).toBeLessThan(1e-6);
    a.dispose();
    other.dispose();
  });

  it("small inputs take the token form; both forms give the same rows", () => {
    const { lin, layer, dispose } = setup(4);
    train(layer, 9);
    const rows = Math.ceil(UrnnLayer.weightSpaceRatio * IN);
    expect(layer.weightSpace(rows - 1)).toBe(false);
    expect(layer.weightSpace(rows)).toBe(true);
    const x = tf.tensor2d(seededArray(rows * IN, 31), [rows, IN]);
    const all = lin.apply(x);
    const one = lin.apply(x.slice([0, 0], [1, IN]));
    expect(maxAbsDiff(one, all.slice([0, 0], [1, OUT]))).toBeLessThan(2e-5);
    expect(maxAbsDiff(all, lin.baseForward(x))).toBeGreaterThan(0.1);
    dispose();
  });

  it("merge() folds the same U into W", () => {
    const { lin, att, layer, dispose } = setup(6);
    train(layer, 2);
    const x = tf.tensor2d(seededArray(8 * IN, 41), [8, IN]);
    const adapted = lin.apply(x);
    att.merge();
    expect(maxAbsDiff(lin.apply(x), adapted)).toBeLessThan(1e-5);
    att.unmerge();
    dispose();
  });
});

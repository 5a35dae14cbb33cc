// The default gate's signal, ‖P_b(∂L/∂W_eff)‖ per branch, against an independent PyTorch
// reference that builds each branch's Jacobian densely and projects by least squares, under the
// library's parameterisation and under a reparameterisation at the same function.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { attach, weightSpaceNorms, type Attachment } from "../../lib/adapters/index.js";
import type { HybridLayer } from "../../lib/adapters/hybrid/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import type { LinearHost } from "../../lib/nn/module.js";
import { runPythonJson } from "../helpers/python.js";
import { seededArray } from "./host.js";

interface Reference {
  grads: { R: number[]; s: number[]; A: number[]; B: number[] };
  weight: { boft: number; boft_factors: number; loraga: number };
  weight_reparam: { boft: number; loraga: number };
  raw: { boft: number; loraga: number };
  raw_reparam: { boft: number; loraga: number };
  same_function: number;
}

const live: Attachment[] = [];
afterEach(() =>
  live.splice(0).forEach((a) => {
    a.detach();
  }),
);

let count = 0;
function single(out: number, inF: number, seed: number): LinearHost & { lin: Linear } {
  count += 1;
  const w = tf.variable(tf.tensor2d(seededArray(out * inF, seed, 0.3), [out, inF]), true, `gs${count}.weight`);
  const b = tf.variable(tf.tensor1d(seededArray(out, seed + 1, 0.1)), true, `gs${count}.bias`);
  const lin = new Linear("model.proj", w, b);
  return { lin, linears: () => new Map([["model.proj", lin]]) };
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const maxRel = (a: ArrayLike<number>, b: number[]) => {
  let scale = 0,
    diff = 0;
  b.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    diff = Math.max(diff, Math.abs((a[i] as number) - v));
  });
  return diff / scale;
};

describe("weight-space gate signal against PyTorch (dense Jacobians, least squares)", () => {
  it.each([
    { factors: 1, blockSize: 4 },
    { factors: 1, blockSize: 8 },
    { factors: 2, blockSize: 2 },
    { factors: 2, blockNum: 4 },
  ])("%o", (cfg) => {
    const out = 12,
      inF = 16,
      r = 2;
    const host = single(out, inF, 21);
    const gradients = new Map([["model.proj", tf.tensor2d(seededArray(out * inF, 3), [out, inF])]]);
    const att = attach(host, { method: "hybrid", targets: ["proj"], r, gradients, ...cfg });
    live.push(att);
    const h = att.layers.get("model.proj")?.layer as HybridLayer;
    const { factors, blockNum, blockSize } = h.boft.shape;
    const A0 = Array.from(h.lora.A.dataSync()),
      B0 = Array.from(h.lora.B.dataSync());
    // A general point: rotated, rescaled, LoRA factors moved away from their init.
    h.boft.R.assign(tf.tensor(seededArray(h.boft.R.size, 7, 0.6), h.boft.R.shape));
    h.boft.s.assign(tf.add(tf.tensor(seededArray(out, 8, 0.3), [out, 1]), 1));
    h.lora.A.assign(tf.add(h.lora.A, tf.tensor(seededArray(r * inF, 9, 0.2), [r, inF])));
    h.lora.B.assign(tf.add(h.lora.B, tf.tensor(seededArray(out * r, 10, 0.2), [out, r])));
    h.lambda = 0.3;
    // L = <G, W_eff>: feed the identity, so output row j is column j of W_effᵀ (plus the bias).
    const G = seededArray(out * inF, 11);
    const Gt = tf.transpose(tf.tensor2d(G, [out, inF]));
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(host.lin.apply(tf.eye(inF)), Gt)) as tf.Scalar,
      att.variables(),
    );
    const ref = runPythonJson<Reference>(
      "test/reference/gate_weight_space.py",
      [],
      JSON.stringify({
        in: inF,
        out,
        block_size: blockSize,
        block_num: blockNum,
        factors,
        r,
        R: Array.from(h.boft.R.dataSync()),
        s: Array.from(h.boft.s.dataSync()),
        W: Array.from(host.lin.weight.dataSync()),
        A: Array.from(h.lora.A.dataSync()),
        B: Array.from(h.lora.B.dataSync()),
        A0,
        B0,
        scale: h.lora.scale,
        lam: h.lambda,
        G: Array.from(G),
        c: 3,
      }),
    );
    // the gradients the gate reads are the reference's
    expect(maxRel((grads[h.boft.R.name] as tf.Tensor).dataSync(), ref.grads.R)).toBeLessThan(1e-4);
    expect(maxRel((grads[h.boft.s.name] as tf.Tensor).dataSync(), ref.grads.s)).toBeLessThan(1e-4);
    expect(maxRel((grads[h.lora.A.name] as tf.Tensor).dataSync(), ref.grads.A)).toBeLessThan(1e-4);
    expect(maxRel((grads[h.lora.B.name] as tf.Tensor).dataSync(), ref.grads.B)).toBeLessThan(1e-4);

    const [got] = weightSpaceNorms([{ hybrid: h, weight: host.lin.weight as tf.Tensor2D }], grads);
    expect(relErr(got!.loraga, ref.weight.loraga)).toBeLessThan(1e-4);
    // one factor: the exact projection; more: the factors' projections added (their tangents overlap)
    expect(relErr(got!.boft, ref.weight.boft_factors)).toBeLessThan(1e-4);
    if (factors === 1) expect(relErr(ref.weight.boft_factors, ref.weight.boft)).toBeLessThan(1e-9);

    // Reparameterised at the same function: the projections stay, the parameter-gradient norms move.
    expect(ref.same_function).toBeLessThan(1e-12);
    expect(relErr(ref.weight_reparam.boft, ref.weight.boft)).toBeLessThan(1e-8);
    expect(relErr(ref.weight_reparam.loraga, ref.weight.loraga)).toBeLessThan(1e-8);
    expect(relErr(ref.raw_reparam.boft, ref.raw.boft)).toBeGreaterThan(0.5);
    expect(relErr(ref.raw_reparam.loraga, ref.raw.loraga)).toBeGreaterThan(0.5);
    value.dispose();
    tf.dispose([Gt, ...Object.values(grads)]);
  });
});

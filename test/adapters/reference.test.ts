// BOFT and LoRA-GA against independent PyTorch references (test/reference/adapter_*.py).
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { attach, estimateGradients, type Attachment } from "../../lib/adapters/index.js";
import type { BoftLayer } from "../../lib/adapters/boft/layer.js";
import type { LoraGaLayer } from "../../lib/adapters/loraga/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import type { LinearHost } from "../../lib/nn/module.js";
import { runPythonJson } from "../helpers/python.js";
import { inputs, maxAbsDiff, Mlp, mse, seededArray } from "./host.js";

const live: Attachment[] = [];
afterEach(() =>
  live.splice(0).forEach((a) => {
    a.detach();
  }),
);

let count = 0;
function single(out: number, inF: number, seed: number): LinearHost & { lin: Linear } {
  count += 1;
  const w = tf.variable(tf.tensor2d(seededArray(out * inF, seed, 0.3), [out, inF]), true, `ref${count}.weight`);
  const b = tf.variable(tf.tensor1d(seededArray(out, seed + 1, 0.1)), true, `ref${count}.bias`);
  const lin = new Linear("model.proj", w, b);
  return { lin, linears: () => new Map([["model.proj", lin]]) };
}

describe("BOFT against PyTorch (PEFT's construction, dense)", () => {
  it.each([
    { factors: 1, blockSize: 4 },
    { factors: 2, blockSize: 2 },
    { factors: 3, blockSize: 2 },
    { factors: 2, blockNum: 4 },
  ])("%o", (cfg) => {
    const host = single(12, 16, 11);
    const att = attach(host, { method: "boft", targets: ["proj"], ...cfg });
    live.push(att);
    const layer = att.layers.get("model.proj")?.layer as BoftLayer;
    const { factors, blockNum, blockSize } = layer.shape;
    layer.R.assign(tf.tensor(seededArray(layer.R.size, 5 + factors, 0.8), layer.R.shape));
    layer.s.assign(tf.tensor(seededArray(12, 9, 0.3), [12, 1]).add(1));
    const x = inputs(5, 16, 2);
    const ref = runPythonJson<{ rotation: number[]; y: number[]; orth: number }>(
      "test/reference/adapter_boft.py",
      [],
      JSON.stringify({
        in: 16,
        out: 12,
        block_size: blockSize,
        block_num: blockNum,
        factors,
        R: Array.from(layer.R.dataSync()),
        s: Array.from(layer.s.dataSync()),
        W: Array.from(host.lin.weight.dataSync()),
        bias: Array.from((host.lin.bias as tf.Variable).dataSync()),
        x: Array.from(x.dataSync()),
      }),
    );
    expect(ref.orth).toBeLessThan(1e-10);
    const R = layer.rotation();
    expect(maxAbsDiff(R, tf.eye(16))).toBeGreaterThan(0.1); // a real rotation, not the identity
    expect(maxAbsDiff(R, tf.tensor2d(ref.rotation, [16, 16]))).toBeLessThan(1e-5);
    expect(maxAbsDiff(host.lin.apply(x), tf.tensor2d(ref.y, [5, 12]))).toBeLessThan(1e-5);
  });
});

/** G = P·diag(0.5^k)·Q: well-separated singular values so vectors are well defined. */
function gradientWithSpectrum(out: number, inF: number): tf.Tensor2D {
  return tf.tidy(() => {
    const k = Math.min(out, inF);
    const P = tf.tensor2d(seededArray(out * k, 21), [out, k]);
    const Q = tf.tensor2d(seededArray(k * inF, 22), [k, inF]);
    const d = tf.tensor1d(Array.from({ length: k }, (_, i) => 0.5 ** i));
    return tf.matMul(tf.mul(P, d), Q);
  });
}

/** max over columns of min(|a − b|, |a + b|): equality up to each vector's sign. */
function upToSign(a: Float32Array | number[], b: number[], rows: number, cols: number, byRow: boolean): number {
  let worst = 0;
  const n = byRow ? rows : cols,
    len = byRow ? cols : rows;
  for (let v = 0; v < n; v++) {
    let plus = 0,
      minus = 0;
    for (let i = 0; i < len; i++) {
      const idx = byRow ? v * cols + i : i * cols + v;
      plus = Math.max(plus, Math.abs((a[idx] as number) - (b[idx] as number)));
      minus = Math.max(minus, Math.abs((a[idx] as number) + (b[idx] as number)));
    }
    worst = Math.max(worst, Math.min(plus, minus));
  }
  return worst;
}

describe("LoRA-GA against torch.linalg.svd", () => {
  it("A = top-r right, B = next-r left singular vectors, stable-scaled (ArB2r)", () => {
    const out = 24,
      inF = 20,
      r = 3;
    const host = single(out, inF, 3);
    const G = gradientWithSpectrum(out, inF);
    const att = attach(host, { method: "loraga", targets: ["proj"], r, gradients: new Map([["model.proj", G]]) });
    live.push(att);
    const layer = att.layers.get("model.proj")?.layer as LoraGaLayer;
    const ref = runPythonJson<{ A: number[]; B: number[] }>(
      "test/reference/adapter_loraga.py",
      [],
      JSON.stringify({ G: Array.from(G.dataSync()), out, in: inF, r, gamma: 16 }),
    );
    expect(upToSign(layer.A.dataSync() as Float32Array, ref.A, r, inF, true)).toBeLessThan(1e-4);
    expect(upToSign(layer.B.dataSync() as Float32Array, ref.B, out, r, false)).toBeLessThan(1e-4);
  });

  it("the first SGD step's change of W_eff approximates −η·s²·c²·G_2r, the best rank-2r approximation", () => {
    const model = new Mlp([16, 32, 16], 4);
    const batches = [0, 1, 2, 3].map((i) => ({ x: inputs(4, 16, 300 + i), y: inputs(4, 16, 400 + i) }));
    const loss = () =>
      tf.tidy(() => tf.addN(batches.map((b) => mse(model, b.x, b.y))).div(batches.length) as tf.Scalar);
    const r = 2,
      alpha = 16;
    const targets = new Map([["model.mlp.up_proj", model.layers[0] as Linear]]);
    const G = estimateGradients(targets, {
      loss: (b: { x: tf.Tensor; y: tf.Tensor }) => mse(model, b.x, b.y),
      batches,
      samples: 16,
    }).get("model.mlp.up_proj") as Float64Array;
    const att = attach(model, {
      method: "loraga",
      targets: ["up_proj"],
      r,
      alpha,
      seed: 1,
      estimate: { loss: (b: { x: tf.Tensor; y: tf.Tensor }) => mse(model, b.x, b.y), batches, samples: 16 },
    });
    live.push(att);
    const layer = att.layers.get("model.mlp.up_proj")?.layer as LoraGaLayer;
    const before = layer.deltaWeight();
    const eta = 1e-3;
    const opt = tf.train.sgd(eta);
    opt.minimize(loss, false, att.variables());
    const dW = tf.sub(layer.deltaWeight(), before);
    const ref = runPythonJson<{ G2r: number[] }>(
      "test/reference/adapter_loraga.py",
      [],
      JSON.stringify({ G: Array.from(G), out: 32, in: 16, r, gamma: 16 }),
    );
    const s = alpha / Math.sqrt(r),
      c2 = Math.sqrt(32) / 16;
    const expected = tf.mul(tf.tensor2d(ref.G2r, [32, 16]), -eta * s * s * c2);
    const full = tf.mul(tf.tensor2d(Float32Array.from(G), [32, 16]), -eta * s * s * c2);
    const rel = (a: tf.Tensor, b: tf.Tensor) =>
      (tf.norm(tf.sub(a, b)).dataSync()[0] as number) / (tf.norm(b).dataSync()[0] as number);
    const errLowRank = rel(dW, expected);
    expect(errLowRank).toBeLessThan(1e-2);
    // and it is the rank-2r part, not the full gradient
    expect(rel(dW, full)).toBeGreaterThan(5 * errLowRank);
    opt.dispose();
    att.detach();
    live.splice(0);
    model.dispose();
  });
});

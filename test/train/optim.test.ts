// AdamW and SGD against torch.optim on the same least-squares problem, step by step.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { runPythonJson } from "../helpers/python.js";
import { AdamW, SGD, createOptimizer, type OptimizerSpec } from "../../lib/train/optim.js";

const SCRIPT = new URL("../reference/train_optim.py", import.meta.url).pathname;

function problem(seed: number) {
  const r = (shape: number[], s: number) =>
    tf.tidy(() => tf.randomNormal(shape, 0, 1, "float32", seed + s).arraySync());
  return {
    w: r([3, 4], 1) as number[][],
    b: r([3], 2) as number[],
    x: r([5, 4], 3) as number[][],
    y: r([5, 3], 4) as number[][],
  };
}

function runTf(p: ReturnType<typeof problem>, spec: OptimizerSpec, lrs: number[]) {
  const w = tf.variable(tf.tensor2d(p.w));
  const b = tf.variable(tf.tensor1d(p.b));
  const x = tf.tensor2d(p.x);
  const y = tf.tensor2d(p.y);
  const opt = createOptimizer(spec);
  const out = { losses: [] as number[], w: [] as number[][][], b: [] as number[][] };
  for (const lr of lrs) {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w, false, true), b), y))) as tf.Scalar,
      [w, b],
    );
    out.losses.push(value.dataSync()[0] as number);
    opt.apply(
      [
        { key: "w", variable: w, grad: grads[w.name]! },
        { key: "b", variable: b, grad: grads[b.name]! },
      ],
      lr,
    );
    tf.dispose([value, grads[w.name]!, grads[b.name]!]);
    out.w.push(w.arraySync() as number[][]);
    out.b.push(b.arraySync() as number[]);
  }
  opt.dispose();
  tf.dispose([w, b, x, y]);
  return out;
}

const CASES: Array<[string, OptimizerSpec]> = [
  ["AdamW defaults", { kind: "adamw", lr: 0.05 }],
  ["AdamW strong decay, other betas", { kind: "adamw", lr: 0.1, weightDecay: 0.3, beta1: 0.8, beta2: 0.95, eps: 1e-6 }],
  ["SGD plain", { kind: "sgd", lr: 0.1 }],
  ["SGD momentum + decay + dampening", { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 0.01, dampening: 0.2 }],
  ["SGD nesterov", { kind: "sgd", lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.05 }],
];

describe("optimisers vs torch.optim", () => {
  it.each(CASES)("%s matches for 8 steps with a varying lr", (_name, spec) => {
    const p = problem(11);
    const lrs = [1, 0.5, 1, 0.8, 0.6, 0.4, 0.2, 0.1].map((m) => m * spec.lr);
    const ref = runPythonJson<ReturnType<typeof runTf>>(SCRIPT, [], JSON.stringify({ ...p, lrs, optimizer: spec }));
    const got = runTf(p, spec, lrs);
    for (let s = 0; s < lrs.length; s++) {
      expect(got.losses[s]).toBeCloseTo(ref.losses[s] as number, 5);
      got.w[s]!.flat().forEach((v, i) => {
        expect(Math.abs(v - (ref.w[s]!.flat()[i] as number))).toBeLessThan(2e-6);
      });
      got.b[s]!.forEach((v, i) => {
        expect(Math.abs(v - (ref.b[s]![i] as number))).toBeLessThan(2e-6);
      });
    }
    // The run must have moved the weights, or matching would prove nothing.
    expect(Math.abs(got.w[7]![0]![0]! - p.w[0]![0]!)).toBeGreaterThan(1e-3);
  });

  it("state round-trips: a restored optimiser continues identically", async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const grad = tf.tensor1d([0.5, 0.1, -0.3]);
    const a = new AdamW({ lr: 0.1 });
    a.apply([{ key: "w", variable: w, grad }], 0.1);
    const state = await a.getState();
    const b = new AdamW({ lr: 0.1 });
    b.setState(state, new Map([["w", [3]]]));
    const w2 = tf.variable(w.clone());
    a.apply([{ key: "w", variable: w, grad }], 0.1);
    b.apply([{ key: "w", variable: w2, grad }], 0.1);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(state.scalars["w.step"]).toBe(1);
    expect(() => b.setState(state, new Map([["w", [4]]]))).toThrow(/exp_avg.*\[3\].*\[4\]/);
    expect(() => b.setState(state, new Map())).toThrow(/belongs to no trainable parameter/);
    tf.dispose([w, w2, grad]);
    a.dispose();
    b.dispose();
  });

  it("rejects bad hyper-parameters with the field named", () => {
    expect(() => new AdamW({ lr: -1 })).toThrow(/AdamW.lr/);
    expect(() => new AdamW({ lr: 0.1, beta2: 1 })).toThrow(/beta2/);
    expect(() => new SGD({ lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => createOptimizer({ kind: "adam" } as unknown as OptimizerSpec)).toThrow(/optimizer.kind.*"adam"/);
  });

  it("keeps no tensors beyond its state", () => {
    const w = tf.variable(tf.ones([4, 4]));
    const g = tf.ones([4, 4]);
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    opt.apply([{ key: "w", variable: w, grad: g }], 0.1);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply([{ key: "w", variable: w, grad: g }], 0.1);
    expect(tf.memory().numTensors).toBe(n);
    expect(opt.stateBytes()).toBe(16 * 4);
    opt.dispose();
    tf.dispose([w, g]);
  });
});

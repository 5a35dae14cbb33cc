// Gradient-norm recorder and the hybrid's gate policies, checked against their definitions.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import {
  attach,
  DEFAULT_GATE,
  gateMeasure,
  nextLambda,
  recordGradNorms,
  type GatePolicy,
} from "../../lib/adapters/index.js";
import type { BoftLayer } from "../../lib/adapters/boft/layer.js";
import type { HybridLayer } from "../../lib/adapters/hybrid/layer.js";
import { inputs, maxAbsDiff, Mlp, mse, seededArray } from "./host.js";

describe("recordGradNorms", () => {
  it("records the L2 norm of each group's concatenated gradients, skipping groups without any", () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, "gn.a");
    const b = tf.variable(tf.tensor2d([[1, 1]]), true, "gn.b");
    const c = tf.variable(tf.tensor1d([0]), true, "gn.c");
    const ga = seededArray(2, 1),
      gb = seededArray(2, 2);
    const grads = { "gn.a": tf.tensor1d(ga), "gn.b": tf.tensor2d(gb, [1, 2]) };
    const groups = [
      { layer: "l0", branch: "boft", variables: [a, b] },
      { layer: "l1", branch: "loraga", variables: [c] },
    ];
    const out = recordGradNorms(grads, groups, 7);
    const expected = Math.hypot(...ga, ...gb);
    expect(out).toHaveLength(1);
    expect(out[0]?.step).toBe(7);
    expect(out[0]?.layer).toBe("l0");
    expect(out[0]?.branch).toBe("boft");
    expect(out[0]?.norm).toBeCloseTo(expected, 6);
  });
});

describe("gate policies", () => {
  const norms = (boft: number, loraga: number) => ({ boft, loraga, boftCount: 100, loragaCount: 400 });
  const raw = { ema: 0, clamp: [0, 1] as [number, number], compensate: false };

  it("share is BOFT's fraction of the norm; inverse is LoRA-GA's", () => {
    expect(nextLambda({ kind: "share", ...raw }, 0.5, norms(3, 1))).toBeCloseTo(0.75, 12);
    expect(nextLambda({ kind: "inverse", ...raw }, 0.5, norms(3, 1))).toBeCloseTo(0.25, 12);
  });

  it("smooths with the EMA (0.9 by default) and clamps to [0.05, 0.95]", () => {
    expect(nextLambda({ kind: "share", compensate: false }, 0.5, norms(3, 1))).toBeCloseTo(0.9 * 0.5 + 0.1 * 0.75, 12);
    let lam = 0.5;
    for (let i = 0; i < 200; i++) lam = nextLambda({ kind: "share", compensate: false }, lam, norms(1, 0));
    expect(lam).toBeCloseTo(0.95, 12);
    for (let i = 0; i < 200; i++) lam = nextLambda({ kind: "share", compensate: false }, lam, norms(0, 1));
    expect(lam).toBeCloseTo(0.05, 12);
  });

  it("compensation removes the gate's own feedback: norms proportional to the weights keep λ", () => {
    const lam = 0.8;
    const k = 2.5;
    expect(
      nextLambda({ kind: "share", ema: 0, clamp: [0, 1], compensate: true }, lam, norms(k * lam, k * (1 - lam))),
    ).toBeCloseTo(0.5, 12);
    expect(nextLambda({ kind: "share", ...raw }, lam, norms(k * lam, k * (1 - lam)))).toBeCloseTo(0.8, 12);
  });

  it("softmax over normalised per-parameter norms: 1/2 at equal RMS, sharper as T falls", () => {
    // equal RMS: boft 10 over 100 params, loraga 20 over 400 params
    expect(nextLambda({ kind: "softmax", ...raw }, 0.3, norms(10, 20))).toBeCloseTo(0.5, 12);
    const rb = 30 / 10,
      rl = 20 / 20; // RMS-like norms
    const ub = rb / (rb + rl),
      ul = rl / (rb + rl);
    const t = 0.25;
    expect(nextLambda({ kind: "softmax", temperature: t, ...raw }, 0.3, norms(30, 20))).toBeCloseTo(
      Math.exp(ub / t) / (Math.exp(ub / t) + Math.exp(ul / t)),
      12,
    );
  });

  it("fixed ignores the norms; zero norms keep the previous λ", () => {
    expect(nextLambda({ kind: "fixed", lambda: 0.3 }, 0.9, norms(5, 1))).toBe(0.3);
    expect(nextLambda({ kind: "share" }, 0.42, norms(0, 0))).toBe(0.42);
  });

  it("weight takes BOFT's share of the weight-space norms it is given, never compensated; needs a clamp inside (0, 1)", () => {
    expect(nextLambda({ kind: "weight", ema: 0, clamp: [0.01, 0.99] }, 0.8, norms(1, 3))).toBeCloseTo(0.25, 12);
    expect(
      nextLambda({ kind: "weight", ema: 0, clamp: [0.01, 0.99], compensate: true } as GatePolicy, 0.8, norms(1, 3)),
    ).toBeCloseTo(0.25, 12);
    expect(gateMeasure({ kind: "weight" })).toBe("weight-space");
    expect(gateMeasure({ kind: "share" })).toBe("parameter");
    expect(gateMeasure({ kind: "fixed", lambda: 0.5 })).toBe("none");
    expect(DEFAULT_GATE).toEqual({ kind: "weight" });
    const model = new Mlp([16, 16], 1);
    const gradients = new Map([["model.mlp.up_proj", tf.ones([16, 16]) as tf.Tensor2D]]);
    const hybrid = (gate: GatePolicy) =>
      attach(model, { method: "hybrid", targets: ["up_proj"], r: 2, gradients, gate });
    expect(() => hybrid({ kind: "weight", clamp: [0, 0.9] })).toThrow(
      /hybrid gate 'weight': clamp must stay inside \(0, 1\).*no gradient to measure/,
    );
    expect(() => hybrid({ kind: "shares" } as unknown as GatePolicy)).toThrow(
      /hybrid gate 'shares': unknown policy \(expected one of weight, share, inverse, softmax, fixed\)/,
    );
  });

  it("rejects bad policies with the field named", () => {
    const model = new Mlp([16, 16], 1);
    const gradients = new Map([["model.mlp.up_proj", tf.ones([16, 16]) as tf.Tensor2D]]);
    const bad: GatePolicy = { kind: "share", clamp: [0.9, 0.1] };
    expect(() => attach(model, { method: "hybrid", targets: ["up_proj"], r: 2, gradients, gate: bad })).toThrow(
      /clamp must satisfy/,
    );
    expect(() =>
      attach(model, { method: "hybrid", targets: ["up_proj"], r: 2, gradients, gate: { kind: "fixed", lambda: 2 } }),
    ).toThrow(/lambda must be in \[0, 1\]/);
  });
});

describe("hybrid mixing", () => {
  it("λ = 1 is BOFT with the same R and s; the default gate records λ in [0.05, 0.95] every step", () => {
    const x = inputs(6, 16, 1),
      y = inputs(6, 16, 2);
    const m1 = new Mlp([16, 32, 16], 5),
      m2 = new Mlp([16, 32, 16], 5);
    const batches = [{ x, y }];
    const estimate = { loss: (b: { x: tf.Tensor; y: tf.Tensor }) => mse(m1, b.x, b.y), batches };
    const hyb = attach(m1, { method: "hybrid", targets: ["up_proj", "down_proj"], r: 2, blockSize: 4, estimate });
    const opt = tf.train.sgd(0.5);
    for (let step = 0; step < 4; step++) {
      const { value, grads } = tf.variableGrads(() => mse(m1, x, y));
      hyb.onGradients(grads, step);
      opt.applyGradients(grads);
      value.dispose();
      Object.values(grads).forEach((g) => {
        g.dispose();
      });
    }
    expect(hyb.gateRecords).toHaveLength(8);
    for (const g of hyb.gateRecords) {
      expect(g.lambda).toBeGreaterThanOrEqual(0.05);
      expect(g.lambda).toBeLessThanOrEqual(0.95);
    }
    expect(new Set(hyb.gateRecords.map((g) => g.lambda)).size).toBeGreaterThan(1);

    const boft = attach(m2, { method: "boft", targets: ["up_proj", "down_proj"], blockSize: 4 });
    for (const [name, { layer }] of hyb.layers) {
      const h = layer as HybridLayer;
      h.lambda = 1;
      const b = boft.layers.get(name)?.layer as BoftLayer;
      b.R.assign(h.boft.R);
      b.s.assign(h.boft.s);
    }
    const mixed = m1.forward(x);
    expect(maxAbsDiff(mixed, m2.forward(x))).toBeLessThan(1e-5);
    hyb.disable();
    expect(maxAbsDiff(mixed, m1.forward(x))).toBeGreaterThan(1e-4); // the BOFT branch did train
    hyb.detach();
    boft.detach();
    opt.dispose();
  });
});

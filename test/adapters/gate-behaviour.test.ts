// What the hybrid's gate does in training, on constructed layers where the answer is known:
// invariance under reparameterising a branch (per policy), no saturation when both branches
// learn, and different λ in layers whose gradients differ.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { attach, type Attachment, type GatePolicy, type HybridAttachOptions } from "../../lib/adapters/index.js";
import type { HybridLayer } from "../../lib/adapters/hybrid/layer.js";
import { Linear } from "../../lib/nn/linear.js";
import type { LinearHost } from "../../lib/nn/module.js";
import { gateStats } from "../../lib/plots/gates.js";
import { createOptimizer } from "../../lib/train/optim.js";
import { maxAbsDiff, seededArray } from "./host.js";

const live: Attachment[] = [];
afterEach(() =>
  live.splice(0).forEach((a) => {
    a.detach();
  }),
);

let made = 0;
/** Independent linear layers, each with its own input and target: y_l = W*_l·x_l. */
class Layers implements LinearHost {
  readonly lins: Linear[];
  /** `orthogonal`: W with a flat spectrum (the Q of a QR), so no direction dominates ∂L/∂W by itself. */
  constructor(n: number, dim: number, seed: number, orthogonal = false) {
    made += 1;
    this.lins = Array.from({ length: n }, (_, i) => {
      const init = tf.tidy(() => {
        const raw = tf.tensor2d(seededArray(dim * dim, seed + 10 * i, 1 / Math.sqrt(dim)), [dim, dim]);
        return orthogonal ? tf.linalg.qr(raw)[0] : raw;
      });
      const w = tf.variable(init, true, `gb${made}.l${i}.weight`);
      return new Linear(`model.layers.${i}.proj`, w);
    });
  }
  linears(): Map<string, Linear> {
    return new Map(this.lins.map((l) => [l.name, l]));
  }
  loss(batch: { x: tf.Tensor2D[]; y: tf.Tensor2D[] }): tf.Scalar {
    return tf.tidy(
      () =>
        tf.addN(
          this.lins.map((l, i) =>
            tf.mean(tf.square(tf.sub(l.apply(batch.x[i] as tf.Tensor2D), batch.y[i] as tf.Tensor))),
          ),
        ) as tf.Scalar,
    );
  }
}

const dim = 32;
/**
 * W·R*ᵀ with R* block-diagonal in blocks of 4 (what BOFT with blockSize 4 reaches), every block
 * a turn by `angle` in two orthogonal planes: I − R* then has one singular value, 2·sin(angle/2).
 */
function rotated(w: tf.Tensor2D, seed: number, angle: number): tf.Tensor2D {
  const r = new Float32Array(dim * dim);
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const turn = tf.tensor2d([c, -s, 0, 0, s, c, 0, 0, 0, 0, c, -s, 0, 0, s, c], [4, 4]);
  for (let k = 0; k < dim / 4; k++) {
    const q = tf.tidy(() => {
      const basis = tf.linalg.qr(tf.tensor2d(seededArray(16, seed + k), [4, 4]))[0] as tf.Tensor2D;
      return tf.matMul(tf.matMul(basis, turn), basis, false, true).dataSync();
    });
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) r[(4 * k + i) * dim + 4 * k + j] = q[i * 4 + j] as number;
  }
  turn.dispose();
  return tf.tidy(() => tf.matMul(w, tf.tensor2d(r, [dim, dim]), false, true) as tf.Tensor2D);
}

/** A rank-1 change u·vᵀ of norm `size` (what LoRA-GA's low-rank branch reaches exactly). */
function rankOne(seed: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const u = tf.tensor2d(seededArray(dim, seed), [dim, 1]);
    const v = tf.tensor2d(seededArray(dim, seed + 1), [1, dim]);
    const uv = tf.matMul(u, v);
    return tf.mul(uv, size / (tf.norm(uv).dataSync()[0] as number)) as tf.Tensor2D;
  });
}

/** Inputs ±e_i (an isotropic batch: ∂L/∂W_eff is exactly proportional to W_eff − W*). */
function batchFor(host: Layers, targets: tf.Tensor2D[]) {
  const x = host.lins.map(() => tf.concat([tf.eye(dim), tf.neg(tf.eye(dim))]) as tf.Tensor2D);
  const y = x.map((xi, i) => tf.matMul(xi, targets[i] as tf.Tensor2D, false, true) as tf.Tensor2D);
  return { x, y };
}

/** Trains with AdamW for `steps` on a fixed batch, calling the gate every step like the trainer. */
function trainHybrid(host: Layers, att: Attachment, batch: { x: tf.Tensor2D[]; y: tf.Tensor2D[] }, steps: number) {
  const opt = createOptimizer({ kind: "adamw", lr: 1e-2, weightDecay: 0 });
  const vars = att.variables();
  for (let step = 1; step <= steps; step++) {
    const { value, grads } = tf.variableGrads(() => host.loss(batch), vars);
    att.onGradients(grads, step);
    opt.apply(
      vars.map((v, i) => ({ key: String(i), variable: v, grad: grads[v.name] as tf.Tensor })),
      1e-2,
    );
    value.dispose();
    tf.dispose(Object.values(grads));
  }
  opt.dispose();
}

function hybridOn(host: Layers, batch: { x: tf.Tensor2D[]; y: tf.Tensor2D[] }, extra: Partial<HybridAttachOptions>) {
  const att = attach(host, {
    method: "hybrid",
    targets: /proj$/,
    r: 2,
    blockSize: 4,
    estimate: { loss: (b: typeof batch) => host.loss(b), batches: [batch], samples: 32, count: () => 32 },
    ...extra,
  } as HybridAttachOptions);
  live.push(att);
  return att;
}

describe("gate invariance under reparameterising a branch at the same function", () => {
  // LoRA-GA's gamma scales its factors A, B by c = out^¼/√gamma and alpha scales their use:
  // gamma/c² and alpha/c² store A, B (and A₀, B₀) times c and use them times 1/c², the same function.
  const c = 3;
  it.each<[string, boolean, GatePolicy]>([
    ["weight (default)", true, { kind: "weight" }],
    ["share (literal)", false, { kind: "share" }],
    ["share, compensated", false, { kind: "share", compensate: true }],
    ["inverse", false, { kind: "inverse" }],
    ["softmax", false, { kind: "softmax" }],
  ])("%s: invariant %s", (_name, invariant, gate) => {
    const made = [1, c].map((k) => {
      const host = new Layers(1, dim, 3);
      const w = host.lins[0]!.weight as tf.Tensor2D;
      const target = tf.add(rotated(w, 40, 0.2), rankOne(50, 0.5)) as tf.Tensor2D;
      const batch = batchFor(host, [target]);
      return { host, batch, att: hybridOn(host, batch, { gate, gamma: 16 / (k * k), alpha: 4 / (k * k) }) };
    });
    const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
    // Train the first a few steps, then put the second at the same point in its own parameterisation.
    trainHybrid(a.host, a.att, a.batch, 5);
    const ha = a.att.layers.get("model.layers.0.proj")!.layer as HybridLayer;
    const hb = b.att.layers.get("model.layers.0.proj")!.layer as HybridLayer;
    hb.boft.R.assign(ha.boft.R);
    hb.boft.s.assign(ha.boft.s);
    hb.lora.A.assign(tf.mul(ha.lora.A, c));
    hb.lora.B.assign(tf.mul(ha.lora.B, c));
    hb.lambda = ha.lambda;
    expect(maxAbsDiff(a.host.lins[0]!.apply(a.batch.x[0]!), b.host.lins[0]!.apply(b.batch.x[0]!))).toBeLessThan(1e-5);
    // One more gate step on the same batch: same function, same ∂L/∂W_eff.
    for (const { host, batch, att } of [a, b]) {
      const { value, grads } = tf.variableGrads(() => host.loss(batch), att.variables());
      att.onGradients(grads, 6);
      value.dispose();
      tf.dispose(Object.values(grads));
    }
    const moved = Math.abs(a.att.gateRecords.at(-1)!.lambda - b.att.gateRecords.at(-1)!.lambda);
    if (invariant) expect(moved).toBeLessThan(1e-5);
    else expect(moved).toBeGreaterThan(1e-3);
  });
});

describe("the default gate on constructed layers", () => {
  it("stays inside the clamp without saturating when both branches can reduce the loss", () => {
    const host = new Layers(1, dim, 5);
    const w = host.lins[0]!.weight as tf.Tensor2D;
    // a rotation (BOFT's reach) plus a rank-1 change (LoRA-GA's reach)
    const target = tf.add(rotated(w, 70, 0.25), rankOne(80, 0.6)) as tf.Tensor2D;
    const batch = batchFor(host, [target]);
    const before = host.loss(batch).dataSync()[0] as number;
    const att = hybridOn(host, batch, {});
    trainHybrid(host, att, batch, 60);
    expect(host.loss(batch).dataSync()[0] as number).toBeLessThan(0.5 * before);
    const stats = gateStats(att.gateRecords);
    expect(stats.atClamp).toBe(0);
    for (const g of att.gateRecords) {
      expect(g.lambda).toBeGreaterThan(0.15);
      expect(g.lambda).toBeLessThan(0.85);
    }
  });

  it("gives layers whose gradients differ different λ: rotation-shaped → BOFT, low-rank → LoRA-GA", () => {
    const host = new Layers(2, dim, 7, true);
    const w0 = host.lins[0]!.weight as tf.Tensor2D;
    const w1 = host.lins[1]!.weight as tf.Tensor2D;
    const targets = [rotated(w0, 100, 0.25), tf.add(w1, rankOne(110, 0.8)) as tf.Tensor2D];
    const batch = batchFor(host, targets);
    const att = hybridOn(host, batch, {});
    trainHybrid(host, att, batch, 30);
    const stats = gateStats(att.gateRecords);
    const [rot, low] = stats.layers.map((l) => l.final) as [number, number];
    expect(rot).toBeGreaterThan(0.5);
    expect(low).toBeLessThan(0.5);
    expect(rot - low).toBeGreaterThan(0.2);
    expect(stats.atClamp).toBe(0);
  });
});

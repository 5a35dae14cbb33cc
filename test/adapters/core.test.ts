// Invariants every method must satisfy on a small MLP: identity at attach, disable = base,
// merge/unmerge, frozen base, orthogonality after training, clear errors.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { attach, type AttachOptions, type Attachment } from "../../lib/adapters/index.js";
import type { BoftLayer } from "../../lib/adapters/boft/layer.js";
import type { UrnnLayer } from "../../lib/adapters/urnn/layer.js";
import { inputs, maxAbsDiff, Mlp, mse } from "./host.js";

const DIMS = [16, 32, 16];
const made: { model: Mlp; att?: Attachment }[] = [];

afterEach(() => {
  for (const m of made.splice(0)) {
    m.att?.detach();
    m.model.dispose();
  }
});

function setup(method: AttachOptions["method"], extra: Record<string, unknown> = {}) {
  const model = new Mlp(DIMS, 7);
  const x = inputs(8, 16, 3);
  const y = inputs(8, 16, 4);
  const batches = [0, 1, 2, 3].map((i) => ({ x: inputs(4, 16, 100 + i), y: inputs(4, 16, 200 + i) }));
  const base: AttachOptions = {
    method,
    targets: ["up_proj", "down_proj"],
    seed: 5,
    blockSize: 4,
    factors: 2,
    r: 2,
    ...extra,
  } as AttachOptions;
  if (method === "loraga" || method === "hybrid") {
    Object.assign(base, {
      estimate: { loss: (b: { x: tf.Tensor; y: tf.Tensor }) => mse(model, b.x, b.y), batches, samples: 16 },
    });
  }
  const entry: { model: Mlp; att?: Attachment } = { model };
  made.push(entry);
  return { model, x, y, base, entry };
}

function train(model: Mlp, att: Attachment, x: tf.Tensor, y: tf.Tensor, steps: number, lr = 0.5, vars?: tf.Variable[]) {
  const opt = tf.train.sgd(lr);
  for (let step = 0; step < steps; step++) {
    const { value, grads } = tf.variableGrads(() => mse(model, x, y), vars);
    att.onGradients(grads, step);
    opt.applyGradients(grads);
    value.dispose();
    Object.values(grads).forEach((g) => {
      g.dispose();
    });
  }
  opt.dispose();
}

const METHODS = ["lora", "boft", "loraga", "urnn", "hybrid"] as const;

describe.each(METHODS)("%s", (method) => {
  it("leaves the output unchanged at attach, and disable() gives the base back", () => {
    const { model, x, y, base, entry } = setup(method);
    const before = model.forward(x);
    const weightsBefore = model.layers.map((l) => l.weight.clone());
    entry.att = attach(model, base);
    expect(maxAbsDiff(model.forward(x), before)).toBeLessThan(1e-5);
    train(model, entry.att, x, y, 3);
    const adapted = model.forward(x);
    expect(maxAbsDiff(adapted, before)).toBeGreaterThan(1e-4); // training changed something
    entry.att.disable();
    // LoRA-GA's frozen weight is W − s·B₀A₀, so its "base" is that residual; the others give W back.
    if (method !== "loraga") expect(maxAbsDiff(model.forward(x), before)).toBeLessThan(1e-6);
    entry.att.enable();
    expect(maxAbsDiff(model.forward(x), adapted)).toBeLessThan(1e-6);
    entry.att.detach();
    entry.att = undefined;
    model.layers.forEach((l, i) => {
      expect(maxAbsDiff(l.weight, weightsBefore[i] as tf.Tensor)).toBe(0);
    });
    expect(maxAbsDiff(model.forward(x), before)).toBeLessThan(1e-6);
  });

  it("merge() reproduces the adapted output and unmerge() restores W exactly", () => {
    const { model, x, y, base, entry } = setup(method);
    const att = (entry.att = attach(model, base));
    train(model, att, x, y, 3);
    const adapted = model.forward(x);
    const w = model.layers.map((l) => l.weight.clone());
    att.merge();
    expect(att.merged).toBe(true);
    expect(model.layers.every((l) => l.adapter === null)).toBe(true);
    expect(maxAbsDiff(model.forward(x), adapted)).toBeLessThan(1e-4);
    expect(maxAbsDiff(model.layers[0]?.weight as tf.Tensor, w[0] as tf.Tensor)).toBeGreaterThan(1e-5);
    att.unmerge();
    model.layers.forEach((l, i) => {
      expect(maxAbsDiff(l.weight, w[i] as tf.Tensor)).toBe(0);
    });
    expect(maxAbsDiff(model.forward(x), adapted)).toBeLessThan(1e-6);
  });

  it("trains only adapter tensors; base weights get no gradient and stay put", () => {
    const { model, x, y, base, entry } = setup(method);
    const att = (entry.att = attach(model, base));
    const adapterNames = new Set(att.variables().map((v) => v.name));
    const baseBefore = [...model.namedParameters().values()].map((v) => v.clone());
    const adapterBefore = att.variables().map((v) => v.clone());
    // no explicit list: every trainable variable the engine knows about
    const { value, grads } = tf.variableGrads(() => mse(model, x, y));
    for (const name of Object.keys(grads)) expect(adapterNames.has(name)).toBe(true);
    value.dispose();
    Object.values(grads).forEach((g) => {
      g.dispose();
    });
    train(model, att, x, y, 3);
    [...model.namedParameters().values()].forEach((v, i) => {
      expect(maxAbsDiff(v, baseBefore[i] as tf.Tensor)).toBe(0);
    });
    const changed = att.variables().map((v, i) => maxAbsDiff(v, adapterBefore[i] as tf.Tensor) > 0);
    expect(changed.some(Boolean)).toBe(true);
    // every group (branch) moved
    for (const g of att.groups()) {
      const moved = g.variables.some((v) => maxAbsDiff(v, adapterBefore[att.variables().indexOf(v)] as tf.Tensor) > 0);
      expect(moved, `${g.layer}/${g.branch}`).toBe(true);
    }
    expect(att.trainableParameters).toBe(att.variables().reduce((n, v) => n + v.size, 0));
    expect(att.totalParameters).toBe(16 * 32 + 32 + 32 * 16 + 16 + att.trainableParameters);
  });
});

function orthogonalityError(m: tf.Tensor2D): number {
  return tf.tidy(() => maxAbsDiff(tf.matMul(m, m, true, false), tf.eye(m.shape[0])));
}

describe("orthogonality after training", () => {
  it.each([1, 2, 3])("BOFT's R (m = %i) stays orthogonal and s moves", (factors) => {
    const { model, x, y, base, entry } = setup("boft", { blockSize: 2, factors });
    const att = (entry.att = attach(model, base));
    train(model, att, x, y, 5, 2);
    for (const { layer } of att.layers.values()) {
      const b = layer as BoftLayer;
      const R = b.rotation();
      expect(maxAbsDiff(R, tf.eye(R.shape[0]))).toBeGreaterThan(1e-3); // it did rotate
      expect(orthogonalityError(R)).toBeLessThan(1e-5);
    }
  });

  it("uRNN transform is orthogonal (norm-preserving) after training", () => {
    const { model, x, y, base, entry } = setup("urnn");
    const att = (entry.att = attach(model, base));
    train(model, att, x, y, 5, 2);
    for (const { layer } of att.layers.values()) {
      const u = layer as UrnnLayer;
      const M = u.matrixT();
      expect(maxAbsDiff(M, tf.eye(M.shape[0]))).toBeGreaterThan(1e-3);
      expect(orthogonalityError(M)).toBeLessThan(1e-5);
      const z = inputs(5, M.shape[0], 9);
      const nz = tf.norm(z, 2, 1),
        nu = tf.norm(u.transform(z), 2, 1);
      expect(maxAbsDiff(nz, nu)).toBeLessThan(1e-5);
      expect(u.groups()[0]?.variables.reduce((n, v) => n + v.size, 0)).toBe((7 * M.shape[0]) / 2);
    }
  });
});

describe("errors", () => {
  it("names the available modules when targets match nothing", () => {
    const { model } = setup("lora");
    expect(() => attach(model, { method: "lora", targets: ["q_proj"] })).toThrow(
      /match no Linear.*model\.mlp\.up_proj.*model\.mlp\.down_proj/,
    );
  });

  it("explains BOFT divisibility rules", () => {
    const { model } = setup("boft");
    expect(() => attach(model, { method: "boft", targets: ["up_proj"], blockSize: 5 })).toThrow(
      /in_features 16.*divisible by blockSize 5/,
    );
    expect(() => attach(model, { method: "boft", targets: ["up_proj"], blockSize: 4, factors: 4 })).toThrow(
      /blockSize·2\^\(m-1\) = 32/,
    );
    expect(() => attach(model, { method: "boft", targets: ["up_proj"], blockSize: 4, blockNum: 4 })).toThrow(
      /exactly one of blockSize/,
    );
    expect(() => attach(model, { method: "boft", targets: ["up_proj"], blockNum: 2, factors: 3 })).toThrow(
      /blockNum divisible by 2\^\(m-1\) = 4/,
    );
    expect(model.layers.every((l) => l.adapter === null)).toBe(true);
  });

  it("refuses a second adapter on the same layer and LoRA-GA without gradients", () => {
    const { model, entry } = setup("lora");
    entry.att = attach(model, { method: "lora", targets: ["up_proj"] });
    expect(() => attach(model, { method: "boft", targets: ["up_proj"] })).toThrow(/already has an adapter/);
    expect(() => attach(model, { method: "loraga", targets: ["down_proj"] })).toThrow(/needs the gradient estimate/);
  });

  it.each(METHODS)("%s: detach() releases every tensor attach() and training made", (method) => {
    const { model, x, y, base } = setup(method);
    const warm = attach(model, base); // process-wide caches (Hadamard blocks) fill here
    train(model, warm, x, y, 1);
    warm.detach();
    const before = tf.memory().numTensors;
    const att = attach(model, base);
    train(model, att, x, y, 2, 0.5, att.variables());
    att.merge();
    att.unmerge();
    att.detach();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(METHODS)("%s does not leak tensors per forward/backward step", (method) => {
    const { model, x, y, base, entry } = setup(method);
    const att = (entry.att = attach(model, base));
    train(model, att, x, y, 1);
    const before = tf.memory().numTensors;
    train(model, att, x, y, 2);
    model.forward(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("LoRA dropout", () => {
  it("acts on the adapter branch only, in training mode, and replays from the seed", () => {
    const { model, x, y, entry } = setup("lora");
    const base = model.forward(x);
    const att = (entry.att = attach(model, { method: "lora", targets: ["up_proj"], r: 2, dropout: 0.5, seed: 4 }));
    // B = 0: whatever dropout does to the branch, the output is the base's
    expect(maxAbsDiff(model.forward(x), base)).toBeLessThan(1e-6);
    train(model, att, x, y, 2, 0.5, att.variables());
    att.eval();
    const evalOut = model.forward(x);
    expect(maxAbsDiff(model.forward(x), evalOut)).toBe(0);
    att.train();
    const t1 = model.forward(x),
      t2 = model.forward(x);
    expect(maxAbsDiff(t1, evalOut)).toBeGreaterThan(1e-5);
    expect(maxAbsDiff(t1, t2)).toBeGreaterThan(0); // fresh mask per call
    // same seed, same call sequence → same masks
    const twin = new Mlp(DIMS, 7);
    made.push({ model: twin });
    const att2 = attach(twin, { method: "lora", targets: ["up_proj"], r: 2, dropout: 0.5, seed: 4 });
    made[made.length - 1]!.att = att2;
    att.variables().forEach((v, i) => {
      att2.variables()[i]?.assign(v);
    });
    // replay: att drew masks in 1 check + 2 training + 2 forwards; t2 was the 5th draw
    for (let i = 0; i < 4; i++) twin.forward(x).dispose();
    expect(maxAbsDiff(twin.forward(x), t2)).toBeLessThan(1e-6);
  });
});

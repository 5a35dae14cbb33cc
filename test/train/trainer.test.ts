// The training loop on a tiny model: learning, accumulation equivalence, gradient-norm records,
// clipping inside the loop, hooks, evaluation, progress and leaks.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { recordingSink, setDisplaySink } from "../../lib/display/sink.js";
import type { GradNormRecord } from "../../lib/records/types.js";
import { fullFineTuning } from "../../lib/train/full.js";
import { train, type StepInfo } from "../../lib/train/trainer.js";
import { TinyMlp, tinyData, tinyLora, type Batch } from "./tiny.js";

const quiet = { progress: false as const };
const snapshot = (vars: tf.Variable[]) => vars.map((v) => Float32Array.from(v.dataSync()));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

afterEach(() => {
  tf.disposeVariables();
});

describe("train", () => {
  it("full fine-tuning learns the task and trains every weight", async () => {
    const model = new TinyMlp(1);
    const before = snapshot([...model.namedParameters().values()]);
    const r = await train<Batch>({
      ...quiet,
      trainable: fullFineTuning(model),
      loss: (b) => model.loss(b),
      data: tinyData(3, 8),
      steps: 60,
      optimizer: { kind: "adamw", lr: 0.05 },
    });
    expect(r.losses).toHaveLength(60);
    expect(mean(r.losses.slice(-5))).toBeLessThan(0.25 * mean(r.losses.slice(0, 5)));
    snapshot([...model.namedParameters().values()]).forEach((after, i) => {
      expect(after).not.toEqual(before[i]);
    });
    expect(r.resources.trainableParams).toBe(16 * 8 + 16 + 8 * 16);
  });

  it("a LoRA-style set learns the task and leaves the base weights frozen", async () => {
    const model = new TinyMlp(1);
    const base = snapshot([...model.namedParameters().values()]);
    const lora = tinyLora(model);
    const r = await train<Batch>({
      ...quiet,
      trainable: lora,
      loss: (b) => model.loss(b),
      data: tinyData(3, 8),
      steps: 60,
      optimizer: { kind: "adamw", lr: 0.05, weightDecay: 0 },
    });
    expect(mean(r.losses.slice(-5))).toBeLessThan(0.5 * mean(r.losses.slice(0, 5)));
    expect(snapshot([...model.namedParameters().values()])).toEqual(base);
    expect(r.resources.trainableParams).toBe(2 * 8 + 16 * 2 + 2 * 16 + 8 * 2);
    expect(new Set(r.gradNorms.map((g) => `${g.layer}/${g.branch}`))).toEqual(
      new Set(["model.fc1/lora", "model.fc2/lora"]),
    );
  });

  it("accumulating k micro-batches equals one batch k times the size (1e-5)", async () => {
    const run = async (batchSize: number, accumulation: number) => {
      const model = new TinyMlp(5);
      const r = await train<Batch>({
        ...quiet,
        trainable: fullFineTuning(model),
        loss: (b) => model.loss(b),
        data: tinyData(9, batchSize),
        steps: 4,
        accumulation,
        optimizer: { kind: "adamw", lr: 0.01 },
        clip: 0.5,
      });
      return { r, w: snapshot([...model.namedParameters().values()]) };
    };
    const big = await run(16, 1);
    const small = await run(4, 4);
    big.r.losses.forEach((l, i) => {
      expect(Math.abs(l - small.r.losses[i]!)).toBeLessThan(1e-5);
    });
    big.r.gradNorms.forEach((g, i) => {
      expect(Math.abs(g.norm - small.r.gradNorms[i]!.norm)).toBeLessThan(1e-5);
    });
    big.w.forEach((w, i) => {
      w.forEach((v, j) => {
        expect(Math.abs(v - small.w[i]![j]!)).toBeLessThan(1e-5);
      });
    });
    expect(small.r.resources.tokens).toBe(big.r.resources.tokens);
  });

  it("records per-group norms that are the norms of the applied update (SGD, no clip)", async () => {
    const model = new TinyMlp(2);
    const trainable = fullFineTuning(model);
    const lr = 0.1;
    const updates: number[][] = [];
    let prev = snapshot(trainable.groups().flatMap((g) => g.variables));
    const r = await train<Batch>({
      ...quiet,
      trainable,
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 3,
      optimizer: { kind: "sgd", lr },
      callbacks: {
        onStep() {
          const now = snapshot(trainable.groups().flatMap((g) => g.variables));
          updates.push(now.map((w, i) => Math.sqrt(w.reduce((s, v, j) => s + (v - prev[i]![j]!) ** 2, 0)) / lr));
          prev = now;
        },
      },
    });
    expect(r.gradNorms).toHaveLength(3 * 3);
    expect(r.gradNorms.map((g) => g.layer).slice(0, 3)).toEqual(["model.fc1", "model.fc1.bias", "model.fc2"]);
    r.gradNorms.forEach((g, i) => {
      expect(g.step).toBe(Math.floor(i / 3) + 1);
      expect(g.norm).toBeGreaterThan(0);
      expect(Math.abs(g.norm - updates[g.step - 1]![i % 3]!)).toBeLessThan(1e-4 * Math.max(1, g.norm));
    });
  });

  it("clips the global norm inside the loop: every SGD update has norm lr·maxNorm", async () => {
    const model = new TinyMlp(2);
    const trainable = fullFineTuning(model);
    const vars = trainable.groups().flatMap((g) => g.variables);
    const maxNorm = 0.05;
    const lr = 0.5;
    let prev = snapshot(vars);
    const steps: Array<{ update: number; info: StepInfo }> = [];
    await train<Batch>({
      ...quiet,
      trainable,
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 4,
      optimizer: { kind: "sgd", lr },
      clip: maxNorm,
      callbacks: {
        onStep(info) {
          const now = snapshot(vars);
          steps.push({
            update: Math.sqrt(now.reduce((s, w, i) => s + w.reduce((t, v, j) => t + (v - prev[i]![j]!) ** 2, 0), 0)),
            info,
          });
          prev = now;
        },
      },
    });
    for (const { update, info } of steps) {
      expect(info.gradNorm).toBeGreaterThan(maxNorm);
      expect(update).toBeCloseTo(lr * maxNorm, 5);
    }
  });

  it("uses the schedule, calls onGradients with every gradient by variable name, and merges gate records", async () => {
    const model = new TinyMlp(3);
    const full = fullFineTuning(model);
    const names = full.groups().flatMap((g) => g.variables.map((v) => v.name));
    const seen: Array<{ step: number; keys: string[]; shapesOk: boolean }> = [];
    const trainable = {
      groups: () => full.groups(),
      onGradients(grads: Record<string, tf.Tensor>, step: number) {
        const vars = full.groups().flatMap((g) => g.variables);
        seen.push({
          step,
          keys: Object.keys(grads).sort(),
          shapesOk: vars.every((v) => grads[v.name]!.shape.join() === v.shape.join()),
        });
      },
      gateRecords: () => seen.map((s) => ({ step: s.step, layer: "model.fc1", lambda: 0.5 })),
    };
    const r = await train<Batch>({
      ...quiet,
      trainable,
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 6,
      optimizer: { kind: "adamw", lr: 0.01 },
      schedule: { kind: "linear", warmupSteps: 2 },
    });
    expect(seen.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const s of seen) {
      expect(s.keys).toEqual([...names].sort());
      expect(s.shapesOk).toBe(true);
    }
    // Warmup 2 over 6 steps: λ = 0, 1/2, then (6 - s)/4.
    expect(r.lrs).toEqual([0, 0.5, 1, 0.75, 0.5, 0.25].map((m) => 0.01 * m));
    expect(r.gates.map((g) => g.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("hands onGradients the step's gradient-norm records, computed once, the same the result reports", async () => {
    const model = new TinyMlp(3);
    const full = fullFineTuning(model);
    const handed: GradNormRecord[][] = [];
    const r = await train<Batch>({
      ...quiet,
      trainable: {
        groups: () => full.groups(),
        onGradients: (_grads, _step, norms) => void handed.push([...(norms ?? [])]),
      },
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 3,
      optimizer: { kind: "sgd", lr: 0.1 },
    });
    expect(handed).toHaveLength(3);
    expect(handed.flat()).toEqual(r.gradNorms);
    expect(handed[0]!.map((n) => n.branch)).toEqual(full.groups().map((g) => g.branch));
    for (const n of handed.flat()) expect(n.norm).toBeGreaterThan(0);
  });

  it("evaluates every N steps and at the end, and builds eval curves", async () => {
    const model = new TinyMlp(3);
    const evalSteps: number[] = [];
    const r = await train<Batch>({
      ...quiet,
      trainable: fullFineTuning(model),
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 7,
      optimizer: { kind: "sgd", lr: 0.1 },
      evalEvery: 3,
      evaluate: async (step) => ({ acc: step / 10, loss: 1 / step }),
      callbacks: { onEval: (step) => void evalSteps.push(step) },
    });
    expect(evalSteps).toEqual([3, 6, 7]);
    expect(r.evalCurves.map((c) => c.metric)).toEqual(["acc", "loss"]);
    expect(r.evalCurves[0]).toMatchObject({ steps: [3, 6, 7], values: [0.3, 0.6, 0.7] });
  });

  it("runs `epochs` over the source and keeps the tensor count stable across steps", async () => {
    const model = new TinyMlp(3);
    const counts: number[] = [];
    const r = await train<Batch>({
      ...quiet,
      trainable: fullFineTuning(model),
      loss: (b) => model.loss(b),
      data: tinyData(4, 8, 32),
      epochs: 3,
      accumulation: 2,
      optimizer: { kind: "adamw", lr: 0.01 },
      clip: 1,
      callbacks: { onStep: () => void counts.push(tf.memory().numTensors) },
    });
    expect(r.steps).toBe((3 * 4) / 2);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(r.resources.peakTensorBytes).toBeGreaterThan(r.resources.startTensorBytes);
    expect(r.resources.tokensPerSec).toBeGreaterThan(0);
  });

  it("shows one progress bar updated in place with loss and tokens/s", async () => {
    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    try {
      const model = new TinyMlp(3);
      await train<Batch>({
        trainable: fullFineTuning(model),
        loss: (b) => model.loss(b),
        data: tinyData(4, 8),
        steps: 5,
        optimizer: { kind: "sgd", lr: 0.1 },
        progress: { label: "tiny" },
      });
    } finally {
      setDisplaySink(previous);
    }
    const displays = sink.records.filter((r) => r.kind === "display");
    expect(displays).toHaveLength(1);
    const last = [...sink.records].reverse().find((r) => r.kind === "update" || r.kind === "display")!;
    expect(last.displayId).toBe(displays[0]!.displayId);
    expect(String(last.data!["text/plain"])).toMatch(/tiny .* 5\/5 100%.*loss=.*tok\/s=/);
    expect(String(last.data!["text/html"])).toContain("5/5");
  });

  it("streams loss and per-layer norms to a live dashboard, and draws lib/plots' one in place", async () => {
    const model = new TinyMlp(3);
    const pushed: unknown[][] = [];
    let closed = 0;
    await train<Batch>({
      ...quiet,
      trainable: fullFineTuning(model),
      loss: (b) => model.loss(b),
      data: tinyData(4, 8),
      steps: 3,
      optimizer: { kind: "sgd", lr: 0.1 },
      evaluate: () => ({ val_loss: 1.5, acc: 0.5 }),
      dashboard: { push: (r) => void pushed.push([...r]), close: () => void closed++ },
    });
    expect(closed).toBe(1);
    // Per step: the loss point then one norm per group; the final eval adds its loss-like metric only.
    expect(pushed.slice(0, 3).map((p) => p.length)).toEqual([4, 4, 4]);
    expect(pushed[2]![0]).toMatchObject({ step: 3 });
    expect(pushed[3]).toEqual([{ step: 3, loss: 1.5, metric: "val_loss" }]);

    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    try {
      await train<Batch>({
        ...quiet,
        trainable: fullFineTuning(model),
        loss: (b) => model.loss(b),
        data: tinyData(4, 8),
        steps: 3,
        optimizer: { kind: "sgd", lr: 0.1 },
        dashboard: true,
      });
    } finally {
      setDisplaySink(previous);
    }
    const plots = sink.records.filter((r) => r.data && "application/vnd.plotly.v1+json" in r.data);
    expect(plots.length).toBeGreaterThan(0);
    expect(new Set(plots.map((p) => p.displayId)).size).toBe(1);
  });

  it("names the problem for bad options and a diverging loss", async () => {
    const model = new TinyMlp(3);
    const base = {
      ...quiet,
      trainable: fullFineTuning(model),
      data: tinyData(4, 8),
      optimizer: { kind: "sgd" as const, lr: 0.1 },
    };
    await expect(train<Batch>({ ...base, loss: (b) => model.loss(b) })).rejects.toThrow(/give `steps` or `epochs`/);
    await expect(train<Batch>({ ...base, loss: (b) => model.loss(b), steps: 2, accumulation: 0 })).rejects.toThrow(
      /accumulation.*found 0/,
    );
    await expect(train<Batch>({ ...base, loss: (b) => model.loss(b), steps: 2, evalEvery: 1 })).rejects.toThrow(
      /no `evaluate`/,
    );
    await expect(
      train<Batch>({ ...base, loss: (b) => tf.mul(model.loss(b), NaN) as tf.Scalar, steps: 2 }),
    ).rejects.toThrow(/loss is NaN at step 1/);
    await expect(
      train<Batch>({ ...base, loss: (b) => model.logits(b.x) as unknown as tf.Scalar, steps: 2 }),
    ).rejects.toThrow(/scalar tensor, found rank 2/);
    await expect(
      train<Batch>({ ...base, trainable: { groups: () => [] }, loss: (b) => model.loss(b), steps: 1 }),
    ).rejects.toThrow(/no variables/);
  });
});

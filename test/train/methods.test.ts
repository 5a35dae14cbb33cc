// Every fine-tuning method, attached with lib/adapters to a lib/models transformer, learns a
// tiny task through the same trainer; the hybrid reports its per-layer λ.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { attach, type AttachOptions } from "../../lib/adapters/index.js";
import { fullFineTuning } from "../../lib/train/full.js";
import { resume, train, type Trainable } from "../../lib/train/trainer.js";
import { countingData, lmLoss, tinyLm } from "./lm.js";

const TARGETS = ["q_proj", "v_proj", "down_proj", "lm_head"].map((n) => new RegExp(`(^|\\.)${n}$`));
const targets = (name: string) => TARGETS.some((r) => r.test(name));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

afterEach(() => {
  tf.disposeVariables();
});

type Maker = (model: ReturnType<typeof tinyLm>) => Trainable & { detach?(): void };
const estimate = (model: ReturnType<typeof tinyLm>) => {
  const data = countingData(99, 8);
  return { loss: (b: tf.Tensor2D) => lmLoss(model, b), batches: [data.next(), data.next()], samples: 16 };
};
const METHODS: Array<[string, Maker, number]> = [
  ["full", (m) => fullFineTuning(m), 0.01],
  ["lora", (m) => attach(m, { method: "lora", targets, r: 4, alpha: 8 } as AttachOptions), 0.05],
  ["boft", (m) => attach(m, { method: "boft", targets, blockSize: 4 } as AttachOptions), 0.05],
  [
    "loraga",
    (m) => attach(m, { method: "loraga", targets, r: 4, alpha: 8, estimate: estimate(m) } as AttachOptions),
    0.05,
  ],
  ["urnn", (m) => attach(m, { method: "urnn", targets } as AttachOptions), 0.05],
  [
    "hybrid",
    (m) =>
      attach(m, { method: "hybrid", targets, r: 4, alpha: 8, blockSize: 4, estimate: estimate(m) } as AttachOptions),
    0.05,
  ],
];

describe("every method trains through the same loop", () => {
  it.each(METHODS)("%s: loss falls on the counting task", async (name, make, lr) => {
    const model = tinyLm(3);
    const trainable = make(model);
    const base =
      name === "full" ? null : [...model.namedParameters().values()].map((v) => Float32Array.from(v.dataSync()));
    const r = await train<tf.Tensor2D>({
      trainable,
      loss: (b) => lmLoss(model, b),
      data: countingData(1, 8),
      steps: 25,
      optimizer: { kind: "adamw", lr, weightDecay: 0 },
      progress: false,
      name,
    });
    expect(mean(r.losses.slice(-3))).toBeLessThan(0.85 * mean(r.losses.slice(0, 3)));
    expect(r.gradNorms.every((g) => Number.isFinite(g.norm))).toBe(true);
    expect(r.gradNorms.length).toBe(25 * trainable.groups().length);
    if (base) {
      // Adapters leave the base model untouched during training.
      [...model.namedParameters().values()].forEach((v, i) => {
        expect(Float32Array.from(v.dataSync())).toEqual(base[i]);
      });
      expect(r.resources.trainableParams).toBeLessThan(r.resources.totalParams / 2);
    }
    if (name === "hybrid") {
      const layers = new Set(trainable.groups().map((g) => g.layer));
      expect(r.gates.length).toBe(25 * layers.size);
      expect(r.gates.every((g) => g.lambda >= 0 && g.lambda <= 1)).toBe(true);
      expect(new Set(r.gradNorms.map((g) => g.branch))).toEqual(new Set(["boft", "loraga"]));
    } else expect(r.gates).toEqual([]);
    trainable.detach?.();
  });
});

describe("hybrid stop and resume", () => {
  it("continues the uninterrupted curve when the attachment restores its gate state, and warns when it cannot", async () => {
    const dir = await mkdtemp(join(tmpdir(), "train-hybrid-"));
    const options = () => {
      const model = tinyLm(3);
      const trainable = METHODS.find(([n]) => n === "hybrid")![1](model);
      return {
        trainable,
        loss: (b: tf.Tensor2D) => lmLoss(model, b),
        data: countingData(1, 8),
        steps: 8,
        optimizer: { kind: "adamw" as const, lr: 0.05 },
        progress: false as const,
        checkpoint: { dir, every: 2 },
      };
    };
    try {
      const reference = (await train<tf.Tensor2D>({ ...options(), checkpoint: undefined })).losses;
      tf.disposeVariables();
      const ctl = new AbortController();
      await train<tf.Tensor2D>({
        ...options(),
        signal: ctl.signal,
        callbacks: { onStep: (i) => void (i.step === 5 && ctl.abort()) },
      });
      tf.disposeVariables();
      const warnings: string[] = [];
      const o = options();
      const resumed = await resume<tf.Tensor2D>({ ...o, warn: (m) => void warnings.push(m) });
      expect(resumed.losses.slice(0, 4)).toEqual(reference.slice(0, 4));
      if (o.trainable.restoreCheckpointState) expect(resumed.losses).toEqual(reference);
      else
        expect(warnings.join("\n")).toMatch(
          /ckpt-00000004: the trainable set reports gate values but has no restoreCheckpointState/,
        );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

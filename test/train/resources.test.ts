// Resource accounting, and the resource table built from real runs.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { attach } from "../../lib/adapters/index.js";
import { tableToMarkdown } from "../../lib/plots/table.js";
import { resourceRows, resourceTable, type ResourceRow } from "../../lib/reproduce/tables.js";
import { fullFineTuning } from "../../lib/train/full.js";
import { countRegisteredVariables, peakMemoryBytes, ResourceMeter } from "../../lib/train/resources.js";
import { train } from "../../lib/train/trainer.js";
import { TinyMlp, tinyData, type Batch } from "./tiny.js";
import { countingData, lmLoss, tinyLm } from "./lm.js";

afterEach(() => {
  tf.disposeVariables();
});

describe("resource accounting", () => {
  it("sees a transient allocation inside the step in the peak, and counts parameters and tokens", async () => {
    const model = new TinyMlp(1);
    const big = 1 << 20; // 1 Mi floats = 4 MiB, alive only during the forward pass
    const r = await train<Batch>({
      trainable: fullFineTuning(model, { filter: (n) => n !== "model.fc1.bias" }),
      loss: (b) => tf.tidy(() => tf.add(model.loss(b), tf.mul(tf.sum(tf.zeros([big])), 0)) as tf.Scalar),
      data: tinyData(1, 8),
      steps: 3,
      optimizer: { kind: "sgd", lr: 0.1 },
      progress: false,
      countTokens: (b) => b.x.size * 10,
    });
    expect(r.resources.peakTensorBytes - r.resources.startTensorBytes).toBeGreaterThanOrEqual(big * 4);
    expect(tf.memory().numBytes).toBeLessThan(r.resources.startTensorBytes + big * 4);
    expect(r.resources.trainableParams).toBe(16 * 8 + 8 * 16);
    expect(r.resources.totalParams).toBe(countRegisteredVariables());
    expect(r.resources.tokens).toBe(3 * 8 * 10);
    expect(r.resources.steps).toBe(3);
    expect(r.resources.peakRssBytes).toBeGreaterThan(0);
    // getrusage's lifetime maximum can only be above any sample (up to its kB rounding).
    expect(r.resources.maxRssBytes).toBeGreaterThanOrEqual(r.resources.peakRssBytes - 1024);
  });

  it("exact memory sees the backward pass, where activations and gradients coexist", async () => {
    const n = 1 << 20;
    const peakAbove = async (memory: "exact" | "sampled") => {
      const w = tf.variable(tf.ones([n]));
      const r = await train<null>({
        trainable: { groups: () => [{ layer: "w", branch: "full", variables: [w] }] },
        // Forward keeps w² alive; backward adds dy and 2w·dy before the activations are freed.
        loss: () => tf.mean(tf.square(w)) as tf.Scalar,
        data: { next: () => null, position: () => ({}), seek: () => {} },
        steps: 2,
        optimizer: { kind: "sgd", lr: 0.1 },
        progress: false,
        memory,
      });
      w.dispose();
      return r.resources.peakTensorBytes - r.resources.startTensorBytes;
    };
    const exact = await peakAbove("exact");
    const sampled = await peakAbove("sampled");
    expect(exact).toBeGreaterThanOrEqual(2 * 4 * n);
    expect(sampled).toBeLessThan(exact);
    expect((tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling).toBe(false);
  });

  it("reports the median step time without the first step", () => {
    let now = 0;
    const realNow = performance.now.bind(performance);
    performance.now = () => now;
    try {
      const m = new ResourceMeter({ trainableParams: 1, totalParams: 2 });
      for (const ms of [100, 3, 5, 4]) {
        m.startStep();
        now += ms;
        m.endStep(10);
      }
      const rep = m.report();
      expect(rep.stepMs).toBe(4);
      expect(rep.meanStepMs).toBe(4);
      expect(rep.tokensPerSec).toBeCloseTo((40 * 1000) / 112, 10);
    } finally {
      performance.now = realNow;
    }
  });
});

describe("resource rows from real runs (the one path from runs to tables)", () => {
  /** Each method trained on a fresh model, disposed afterwards, as the resource notebook's runs are. */
  async function runOf(method: "full" | "lora") {
    const model = tinyLm(2, 32, 2);
    const trainable =
      method === "full" ? fullFineTuning(model) : attach(model, { method: "lora", targets: /(q_proj|v_proj)$/, r: 2 });
    try {
      const r = await train({
        trainable,
        loss: (b) => lmLoss(model, b),
        data: countingData(1, 4),
        steps: 3,
        optimizer: { kind: "adamw", lr: 0.01 },
        progress: false,
      });
      return { method, resources: r.resources };
    } finally {
      if ("detach" in trainable) trainable.detach();
      model.dispose();
    }
  }

  it("full fine-tuning is the baseline; LoRA's ratios are its step time and peak memory over full's", async () => {
    const runs = [await runOf("full"), await runOf("lora")];
    const rows = resourceRows(runs, ["full", "lora"]);
    expect(rows.map((r) => r.method)).toEqual(["full", "lora"]);
    const [full, lora] = rows as [ResourceRow, ResourceRow];
    expect(full.timeRatio).toBe(1);
    expect(full.memoryRatio).toBe(1);
    const weights = 4 * runs[0]!.resources.trainableParams;
    const peak = (i: number) => peakMemoryBytes(runs[i]!.resources, weights);
    expect(lora.timeRatio).toBeCloseTo(runs[1]!.resources.stepMs / runs[0]!.resources.stepMs, 12);
    expect(lora.memoryRatio).toBeCloseTo(peak(1) / peak(0), 12);
    expect(lora.trainableParams).toBeLessThan(full.trainableParams / 10);
    // Full fine-tuning holds a gradient and two Adam moments per weight; LoRA only for its factors.
    expect(lora.memoryRatio).toBeLessThan(1);
    expect(peak(0)).toBeGreaterThan(4 * 4 * full.trainableParams * 0.9);
    const md = tableToMarkdown(resourceTable(rows));
    expect(md.split("\n").filter((l) => l.startsWith("|"))).toHaveLength(4);
    expect(md).toMatch(/\| lora \| \d+ \|/);
    // Models and adapters are disposed between methods.
    expect(countRegisteredVariables()).toBe(0);
  });

  it("needs a full fine-tuning run to take ratios against", async () => {
    expect(() => resourceRows([{ method: "lora", resources: null }])).toThrow(/no full fine-tuning run/);
  });
});

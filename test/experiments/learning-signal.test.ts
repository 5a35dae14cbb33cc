// The learning signal the reproductions must show, at smoke scale with a fixed seed:
// - "lm" scoring: full fine-tuning and LoRA lower the dev loss of the gold label word well below
//   the untuned base model's;
// - "head" scoring (runMethod's default, mean pooling) on the shipped small base: full fine-tuning lifts
//   SST-2 accuracy well above the untuned base (a random head, so ≈ chance). Budgets are from
//   docs/reproductions.md.
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { runMethod, type RunMethodOptions } from "../../lib/experiments/index.js";
import { ensureBaseModel } from "../../lib/pretrain/index.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
beforeAll(async () => {
  baseDir = await smokeBase();
});

const lmBudget = (): Omit<RunMethodOptions, "method"> => ({
  baseDir,
  task: "sst2",
  seed: 0,
  steps: 20,
  trainLimit: 200,
  evalLimit: 16,
  evalLossLimit: 32,
  evalEvery: 10,
  seqLen: 48,
  batchSize: 8,
  evaluateBase: true,
  scoring: "lm",
});

describe("fine-tuning beats the untuned base (SST-2 dev loss of the label word)", () => {
  it.each(["full", "lora"] as const)("%s", async (method) => {
    // The rates this budget was measured with in "lm" mode (DEFAULT_LR is tuned for "head").
    const r = await runMethod({ ...lmBudget(), method, lr: method === "full" ? 1e-3 : 2e-2 });
    const base = r.baseMetrics!.devLoss!;
    const after = r.metrics.devLoss!;
    expect(Number.isFinite(base) && Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(base - 0.2);
    // The eval curve ends at the final dev loss and falls from its first point.
    expect(r.evalCurve.values.at(-1)).toBeCloseTo(after, 5);
    expect(r.evalCurve.values.at(-1)!).toBeLessThan(r.evalCurve.values[0]!);
  });
});

describe("fine-tuning beats the untuned base (SST-2 accuracy, classification head, shipped small base)", () => {
  it("full", async () => {
    // The small scale's budget and rate (lib/reproduce/settings.ts), scored on the held-out part of train
    // the rate sweep used, so the test reads no dev example. Measured: 0.544 -> 0.666 on its 500 examples.
    await useBackend();
    const r = await runMethod({
      baseDir: await ensureBaseModel({ scale: "small" }),
      task: "sst2",
      method: "full",
      seed: 0,
      steps: 100,
      batchSize: 16,
      seqLen: 48,
      lr: 1e-3,
      evalSplit: "validation",
      evalLimit: 500,
      evalLossLimit: 32,
      evalEvery: 100,
      evaluateBase: true,
    });
    const base = r.baseMetrics!.accuracy!;
    const after = r.metrics.accuracy!;
    // 500 examples: the standard error of a difference of two accuracies near 0.6 is about 0.03.
    expect(after).toBeGreaterThan(base + 0.06);
    expect(r.metrics.devLoss!).toBeLessThan(r.baseMetrics!.devLoss!);
  }, 600_000);
});

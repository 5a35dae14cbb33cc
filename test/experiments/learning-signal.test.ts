// The learning signal the reproductions must show: with a fixed seed and a small budget, full
// fine-tuning and LoRA lower the dev loss of the gold label word well below the untuned base
// model's (the accuracy of a 100k-parameter Moby Dick model on SST-2 stays near chance at this
// budget; docs/reproductions.md).
import { beforeAll, describe, expect, it } from "vitest";
import { runMethod, type RunMethodOptions } from "../../lib/experiments/index.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
beforeAll(async () => {
  baseDir = await smokeBase();
});

const budget = (): Omit<RunMethodOptions, "method"> => ({ baseDir, task: "sst2", seed: 0, steps: 20, trainLimit: 200, evalLimit: 16, evalLossLimit: 32, evalEvery: 10, seqLen: 48, batchSize: 8, evaluateBase: true });

describe("fine-tuning beats the untuned base (SST-2 dev loss)", () => {
  it.each(["full", "lora"] as const)("%s", async (method) => {
    const r = await runMethod({ ...budget(), method });
    const base = r.baseMetrics!.devLoss!;
    const after = r.metrics.devLoss!;
    expect(Number.isFinite(base) && Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(base - 0.2);
    // The eval curve ends at the final dev loss and falls from its first point.
    expect(r.evalCurve.values.at(-1)).toBeCloseTo(after, 5);
    expect(r.evalCurve.values.at(-1)!).toBeLessThan(r.evalCurve.values[0]!);
  });
});

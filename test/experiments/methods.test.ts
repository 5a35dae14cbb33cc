// runMethod end to end for every method on SST-2 with a tiny budget.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { runMethod, type MethodName, type RunMethodOptions } from "../../lib/experiments/index.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
beforeAll(async () => {
  baseDir = await smokeBase();
});

const tiny = (): Omit<RunMethodOptions, "method"> => ({
  baseDir,
  task: "sst2",
  seed: 0,
  steps: 3,
  trainLimit: 32,
  evalLimit: 16,
  evalLossLimit: 8,
  seqLen: 40,
  batchSize: 4,
  evalEvery: 3,
  targets: ["q_proj", "v_proj", "down_proj"],
});
const finite = (xs: number[]) => xs.every((x) => Number.isFinite(x));

describe("runMethod", () => {
  it.each(["full", "lora", "boft", "loraga", "urnn", "hybrid"] as MethodName[])(
    "%s runs end to end with finite metrics",
    async (method) => {
      const before = tf.memory().numTensors;
      const r = await runMethod({ ...tiny(), method });
      expect(r.steps).toBe(3);
      expect(r.primary).toBe("accuracy");
      expect(Object.keys(r.metrics).sort()).toEqual(["accuracy", "devLoss"]);
      expect(finite(Object.values(r.metrics))).toBe(true);
      expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.metrics.accuracy).toBeLessThanOrEqual(1);
      expect(r.lossCurve.values).toHaveLength(3);
      expect(finite(r.lossCurve.values)).toBe(true);
      expect(r.evalCurve.steps).toEqual([3]);
      expect(r.gradNorms.length).toBeGreaterThan(0);
      expect(finite(r.gradNorms.map((g) => g.norm))).toBe(true);
      const res = r.resources!;
      if (method === "full") expect(res.trainableParams).toBe(res.totalParams);
      else expect(res.trainableParams).toBeLessThan(res.totalParams / 4);
      if (method === "hybrid") {
        expect(r.gates.length).toBeGreaterThan(0);
        expect(r.gates.every((g) => g.lambda >= 0 && g.lambda <= 1)).toBe(true);
        expect(new Set(r.gradNorms.map((g) => g.branch))).toEqual(new Set(["boft", "loraga", "head"]));
      } else expect(r.gates).toEqual([]);
      // Everything is released except what lib/models' loader keeps per weight (20 here) and what
      // lib/adapters' loraga/urnn detach() keeps per adapted layer (≤ 6 targets): both reported upstream.
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(
        20 + (method === "loraga" || method === "urnn" ? 6 : 0),
      );
    },
  );

  it("a classification head trains with an adapter (head scoring)", async () => {
    const r = await runMethod({ ...tiny(), method: "lora", scoring: "head" });
    expect(finite(Object.values(r.metrics))).toBe(true);
    // The new head is trained beside the adapter.
    expect(r.gradNorms.some((g) => g.layer === "score" && g.branch === "head")).toBe(true);
  });

  it("names bad options", async () => {
    await expect(runMethod({ ...tiny(), method: "prefix" as MethodName })).rejects.toThrow(/unknown method "prefix"/);
    await expect(runMethod({ ...tiny(), method: "lora", steps: 0 })).rejects.toThrow(
      /steps must be a positive integer, found 0/,
    );
    await expect(runMethod({ ...tiny(), method: "lora", baseDir: "/nonexistent/base" })).rejects.toThrow(
      /\/nonexistent\/base/,
    );
    await expect(runMethod({ ...tiny(), method: "lora", pooling: "max" as "mean" })).rejects.toThrow(
      /pooling: expected one of "mean", "last", found "max"/,
    );
  });
});

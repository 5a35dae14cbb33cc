// The paper-regime resource measurement: every method on the same random LLaMA, full fine-tuning
// first, what fills its peak, and the claims in words.
import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { progressFromMetadata } from "../../lib/display/progress-report.js";
import { recordingSink, setDisplaySink } from "../../lib/display/sink.js";
import { createModel, makeConfig } from "../../lib/models/index.js";
import { PAPER_RESOURCE_CLAIMS, resourceClaimVerdict } from "../../lib/reproduce/claims.js";
import {
  llamaParameterCount,
  measureResources,
  paperRegimeFor,
  regimeBreakdown,
  regimeTable,
  RESOURCE_REGIMES,
  type RegimeModel,
} from "../../lib/reproduce/resource-regime.js";
import { resourceRows } from "../../lib/reproduce/tables.js";

afterEach(() => {
  tf.disposeVariables();
});

const tiny: RegimeModel = {
  label: "tiny",
  config: makeConfig({
    family: "llama",
    vocabSize: 64,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 2,
    intermediateSize: 32,
  }),
  batch: 2,
  seq: 8,
};

describe("resource regimes", () => {
  it("counts a LLaMA's parameters as the model does, and the paper regime has at least 20 M of them", () => {
    const model = createModel(RESOURCE_REGIMES.activations.config, { seed: 0 });
    try {
      const n = Object.values(tf.engine().registeredVariables).reduce((a, v) => a + v.size, 0);
      expect(llamaParameterCount(RESOURCE_REGIMES.activations.config)).toBe(n);
    } finally {
      model.dispose();
    }
    expect(llamaParameterCount(paperRegimeFor("small").config)).toBeGreaterThanOrEqual(20e6);
    expect(paperRegimeFor("full")).toBe(paperRegimeFor("small"));
    expect(llamaParameterCount(paperRegimeFor("smoke").config)).toBeLessThan(5e6);
  });
});

describe("measureResources", () => {
  it("trains full fine-tuning first, then each method and variant on the same weights, and publishes runs done", async () => {
    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    let runs;
    try {
      runs = await measureResources({
        model: tiny,
        methods: ["lora", { name: "hybrid (share gate)", method: "hybrid", options: { gate: { kind: "share" } } }],
        steps: 2,
      });
    } finally {
      setDisplaySink(previous);
    }
    expect(runs.map((r) => r.method)).toEqual(["full", "lora", "hybrid (share gate)"]);
    const full = runs[0]!.resources;
    expect(full.trainableParams).toBe(llamaParameterCount(tiny.config));
    expect(full.steps).toBe(2);
    for (const r of runs.slice(1)) expect(r.resources.trainableParams).toBeLessThan(full.trainableParams);
    for (const r of runs) expect(Number.isFinite(r.finalLoss)).toBe(true);
    // AdamW's two moments and the gradients are alive together at full fine-tuning's peak.
    const b = regimeBreakdown(runs);
    expect(b.peak).toBeGreaterThanOrEqual(b.weights + b.trainingState);
    expect(b.trainingState).toBe(3 * b.weights);
    expect(b.stateShare).toBeGreaterThan(0);
    expect(b.stateShare).toBeLessThanOrEqual(1);
    expect(regimeTable(tiny, runs).rows.at(-1)).toEqual([
      "weights + gradients + optimiser state, share of the peak",
      b.stateShare,
    ]);
    // Rows by their variant name, ratios to full.
    const rows = resourceRows(
      runs,
      runs.map((r) => r.method),
    );
    expect(rows.map((r) => [r.method, r.timeRatio > 0, r.memoryRatio > 0])).toEqual([
      ["full", true, true],
      ["lora", true, true],
      ["hybrid (share gate)", true, true],
    ]);
    expect(rows[0]!.memoryRatio).toBe(1);
    const reports = sink.records.map((r) => progressFromMetadata(r.metadata)).filter((r) => r !== undefined);
    // Redraws are throttled (100 ms), so quick runs may share one; the first and the final state always show.
    const counts = reports.map((r) => r.current);
    expect(counts[0]).toBe(0);
    expect(counts.at(-1)).toBe(3);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(reports.every((r) => r.kind === "runs" && r.total === 3)).toBe(true);
  }, 120_000);

  it("refuses an unknown method and too few steps by name", async () => {
    await expect(measureResources({ model: tiny, methods: ["nope"], steps: 2, progress: false })).rejects.toThrow(
      /unknown method 'nope'; expected some of full, lora/,
    );
    await expect(measureResources({ model: tiny, steps: 1, progress: false })).rejects.toThrow(
      /steps must be an integer of at least 2/,
    );
  });
});

describe("resourceClaimVerdict", () => {
  it("says the hybrid's ratio beside each claim and which methods meet each", () => {
    const v = resourceClaimVerdict([
      { method: "lora", timeRatio: 0.3, memoryRatio: 0.7 },
      { method: "hybrid", timeRatio: 1.32, memoryRatio: 0.55 },
      { method: "boft", timeRatio: 0.56, memoryRatio: 0.61 },
    ]);
    expect(PAPER_RESOURCE_CLAIMS.map((c) => c.resource)).toEqual(["time", "memory"]);
    // 0.56 is within 20% of 1/2.1 (0.571), 0.61 is not within 20% of 0.5 (0.6).
    expect(v).toBe(
      "Hybrid: time 1.32× full fine-tuning (claimed ≈ 0.48×): does not hold; memory 0.55× full fine-tuning (claimed ≈ 0.50×): holds. Within 20%, the time claim is met by lora, boft and the memory claim is met by hybrid.",
    );
    expect(resourceClaimVerdict([{ method: "lora", timeRatio: 2, memoryRatio: 2 }])).toBe(
      "No hybrid row measured. Within 20%, the time claim is met by no method and the memory claim is met by no method.",
    );
  });
});

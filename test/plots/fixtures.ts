// Seeded synthetic records shaped like a small hybrid run: 12 layers (so `layers.10` tests
// natural ordering), two branches, a few missing cells, three seeds for two runs.
import type { GateRecord, GradNormRecord, RunCurve } from "../../lib/records/types.js";

import { mulberry32 as rng } from "../../lib/random/mulberry32.js";

export { rng };

export const LAYERS = Array.from({ length: 12 }, (_, i) => `model.layers.${i}.mlp.down_proj`);
export const STEPS = Array.from({ length: 15 }, (_, i) => i * 10);

export function gradNorms(seed = 1): GradNormRecord[] {
  const r = rng(seed);
  const out: GradNormRecord[] = [];
  // Shuffled layer order on input: builders must sort.
  for (const layer of [...LAYERS].reverse()) {
    for (const step of STEPS) {
      for (const branch of ["boft", "loraga"]) {
        if (layer.includes(".3.") && step === 20 && branch === "boft") continue; // one branch missing
        if (layer.includes(".5.") && step === 30) continue; // whole cell missing
        out.push({ step, layer, branch, norm: Math.exp(3 * r() - 2) });
      }
    }
  }
  return out;
}

export function gates(seed = 2): GateRecord[] {
  const r = rng(seed);
  return LAYERS.slice(0, 4).flatMap((layer) => STEPS.map((step) => ({ step, layer, lambda: r() })));
}

export function curves(seed = 3): RunCurve[] {
  const r = rng(seed);
  const out: RunCurve[] = [];
  for (const run of ["hybrid", "lora"]) {
    for (const s of [0, 1, 2]) {
      // Seed 2 of "lora" logged fewer steps: aggregation must use the union of steps.
      const steps = run === "lora" && s === 2 ? STEPS.slice(0, 10) : STEPS;
      out.push({
        run,
        metric: "train_loss",
        seed: s,
        steps,
        values: steps.map((t) => 3 * Math.exp(-t / 60) + 0.3 * r()),
      });
      out.push({
        run,
        metric: "val_acc",
        seed: s,
        steps: [50, 100, 140],
        values: [0.6 + 0.1 * r(), 0.7 + 0.1 * r(), 0.8 + 0.1 * r()],
      });
    }
  }
  return out;
}

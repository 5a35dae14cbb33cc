// What runMethod can run: every adapter method of the registry (lib/adapters/registry.ts), plus
// two that are not adapters: "full" fine-tuning (every weight trains) and "base" (the untuned
// model, evaluated only). Their learning rates sit beside the adapters' (each descriptor's
// `experiment`), so every default of a run has one owner.
import { ADAPTER_METHOD_NAMES, adapterMethod, type Method } from "../adapters/registry.js";
import type { ScoringMode } from "./scoring.js";

/** "base" evaluates the untuned model (no training), the row every method must beat. */
export type MethodName = "base" | "full" | Method;
export type TrainedMethod = Exclude<MethodName, "base">;

export const TRAINED_METHODS: readonly TrainedMethod[] = ["full", ...ADAPTER_METHOD_NAMES];
export const RUN_METHODS: readonly MethodName[] = ["base", ...TRAINED_METHODS];

/** Full fine-tuning's rates: from the same sweeps as the adapters' (docs/reproductions.md). */
const FULL_LR: Record<ScoringMode, number> = { head: 2e-3, lm: 1e-3 };

/**
 * AdamW learning rate of a method under a label scoring mode, from the small-base sweeps
 * (docs/reproductions.md): "head" is runMethod's default whatever the scoring; the reproductions'
 * smoke and small scales (which score labels with the LM, "lm") pass the "lm" rates explicitly.
 */
export function defaultLr(method: TrainedMethod, scoring: ScoringMode): number {
  return method === "full" ? FULL_LR[scoring] : adapterMethod(method).experiment.lr[scoring];
}

/** Learning rates of every trained method for a scoring mode. */
export function learningRates(scoring: ScoringMode): Record<TrainedMethod, number> {
  return Object.fromEntries(TRAINED_METHODS.map((m) => [m, defaultLr(m, scoring)])) as Record<TrainedMethod, number>;
}

/**
 * Learning rates for the default head scoring, from the small-base SST-2 sweep (150 steps × 16;
 * docs/reproductions.md). The new head trains at the adapter's rate, so the additive adapters
 * (LoRA, LoRA-GA, hybrid) get 5e-3: at 2e-2 the head overshot and the training loss rose. The
 * orthogonal ones (bounded rotations) tolerate 5e-2. uRNN's is carried over from the "lm" sweep.
 */
export const DEFAULT_LR: Readonly<Record<TrainedMethod, number>> = learningRates("head");

// LoRA-GA's descriptor: LoRA's options (rsLoRA on by default, as the paper's stable-scale
// analysis assumes) plus the initialisation's, its layer, its checkpoint's initial factors, and
// how it is saved: as a plain rank-2r LoRA against the original weight, which PEFT loads (a
// saved LoRA-GA therefore loads back as LoRA; docs/methods.md §7).
import { GRADIENT_SOURCE_KEYS, type GradientSource } from "../gradient-estimate.js";
import { LORA_OPTION_KEYS, loraConfig, loraPeftFields, type LoraConfig, type LoraOptions } from "../lora/method.js";
import type { AdapterMethod } from "../method.js";
import { integerAtLeast, oneOf, positiveNumber } from "../option-checks.js";
import type { LoraGaInitConfig, LoraGaInitOptions } from "./init.js";
import { LoraGaLayer } from "./layer.js";

export type LoraGaOptions = LoraOptions & LoraGaInitOptions & GradientSource;
export type LoraGaConfig = LoraConfig & LoraGaInitConfig;

export const LORAGA_INIT_KEYS = [
  "direction",
  "scale",
  "gamma",
  "niter",
  "sketch",
] as const satisfies readonly (keyof LoraGaInitOptions)[];

/** Defaults and checks of LoRA-GA's initialisation options (for LoRA-GA and the hybrid). */
export function loraGaInitConfig(where: string, o: LoraGaInitOptions): LoraGaInitConfig {
  return {
    direction: oneOf(where, "direction", o.direction ?? "ArB2r", ["ArB2r", "A2rBr", "ArBr", "random"]),
    scale: oneOf(where, "scale", o.scale ?? "stable", ["stable", "gd", "unit"]),
    gamma: positiveNumber(where, "gamma", o.gamma ?? 16),
    niter: integerAtLeast(where, "niter", o.niter ?? 4, 0),
    ...(o.sketch !== undefined ? { sketch: integerAtLeast(where, "sketch", o.sketch, 1) } : {}),
  };
}

export const loragaMethod: AdapterMethod<"loraga", LoraGaOptions, LoraGaConfig, LoraGaLayer> = {
  name: "loraga",
  title: "LoRA-GA (Wang et al. 2024): LoRA initialised from the SVD of the estimated full-weight gradient",
  peftType: "LORA",
  optionKeys: [...LORA_OPTION_KEYS, ...LORAGA_INIT_KEYS, ...GRADIENT_SOURCE_KEYS],
  gradientInit: true,
  config: (o) => ({ ...loraConfig("loraga", o, true), ...loraGaInitConfig("loraga", o) }),
  layer: ({ name, linear, seed, prefix, ctx, gradient }, c) =>
    new LoraGaLayer(name, linear, gradient as Float64Array, c, { seed, prefix }, ctx),
  // Rank 2r with alpha = 2r (PEFT's scale 1): the scale is folded into lora_B.
  peftConfig: (c) => loraPeftFields({ r: 2 * c.r, alpha: 2 * c.r, rslora: false, dropout: c.dropout }),
  suffixes: ["lora_A.weight", "lora_B.weight"],
  checkpoint: {
    initFactors: {
      get: (layer) => ({ A0: layer.A0, B0: layer.B0 }),
      restore: (layer, { A0, B0 }, offset) => layer.restoreInit(A0, B0, offset ?? layer.offsetWeight(A0, B0)),
      offsetWeight: (layer, { A0, B0 }) => layer.offsetWeight(A0, B0),
      originalWeight: (layer) => layer.originalWeight,
    },
  },
  experiment: { lr: { head: 5e-3, lm: 2e-2 }, settings: { r: 4, gradientBatches: 4 } },
};

// LoRA's descriptor: options and defaults (those of PEFT's LoraConfig except alpha, 16 here),
// its layer, its adapter_config.json fields and how runMethod trains it.
import type { AdapterMethod } from "../method.js";
import { boolean, integerAtLeast, positiveNumber, rate } from "../option-checks.js";
import { LoraLayer, loraScale } from "./layer.js";

export interface LoraOptions {
  /** Rank r (default 8). */
  r?: number;
  /** Default 16. */
  alpha?: number;
  /** Scale alpha/√r instead of alpha/r (Kalajdzievski 2023). */
  rslora?: boolean;
  /** Dropout on the adapter branch's input only, in training mode (default 0). */
  dropout?: number;
}

export type LoraConfig = Required<LoraOptions>;

/** LoRA's options resolved; `rslora` defaults differ between LoRA (false) and LoRA-GA (true). */
export function loraConfig(where: string, o: LoraOptions, rsloraDefault: boolean): LoraConfig {
  return {
    r: integerAtLeast(where, "r", o.r ?? 8, 1),
    alpha: positiveNumber(where, "alpha", o.alpha ?? 16),
    rslora: boolean(where, "rslora", o.rslora ?? rsloraDefault),
    dropout: rate(where, "dropout", o.dropout ?? 0),
  };
}

export const LORA_OPTION_KEYS = ["r", "alpha", "rslora", "dropout"] as const satisfies readonly (keyof LoraOptions)[];

/** PEFT's LoRA fields of adapter_config.json for a rank, alpha and dropout. */
export function loraPeftFields(c: LoraConfig): Record<string, unknown> {
  return {
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    use_rslora: c.rslora,
    init_lora_weights: true,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

export const loraMethod: AdapterMethod<"lora", LoraOptions, LoraConfig, LoraLayer> = {
  name: "lora",
  title: "LoRA (Hu et al. 2021): a trainable low-rank update B·A beside the frozen weight",
  peftType: "LORA",
  optionKeys: LORA_OPTION_KEYS,
  gradientInit: false,
  config: (o) => loraConfig("lora", o, false),
  layer: ({ name, linear, seed, prefix, ctx }, c) =>
    new LoraLayer(
      name,
      linear.inFeatures,
      linear.outFeatures,
      { r: c.r, scale: loraScale(c.alpha, c.r, c.rslora), dropout: c.dropout, seed, prefix },
      ctx,
    ),
  peftConfig: (c) => loraPeftFields(c),
  // A file's rank is its tensors'; a missing lora_alpha is PEFT's default, 8.
  fromPeft: (f) => ({
    config: loraConfig(
      "lora (adapter_config.json)",
      {
        r: f.shape("lora_A.weight")?.[0] ?? f.number("r", 8),
        alpha: f.number("lora_alpha", 8),
        rslora: f.config.use_rslora === true,
        dropout: f.number("lora_dropout", 0),
      },
      false,
    ),
  }),
  suffixes: ["lora_A.weight", "lora_B.weight"],
  checkpoint: {},
  experiment: { lr: { head: 5e-3, lm: 2e-2 }, settings: { r: 4 } },
};

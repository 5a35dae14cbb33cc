// BOFT's descriptor: PEFT's BOFTConfig fields (block size or count, butterfly factors), its
// layer, its adapter_config.json fields and how runMethod trains it.
import type { AdapterMethod, PeftFile } from "../method.js";
import { integerAtLeast } from "../option-checks.js";
import { BoftLayer, type BoftShapeConfig } from "./layer.js";

export interface BoftOptions {
  /** Block size b (PEFT's boft_block_size); give this or blockNum. Default 4 when neither is given. */
  blockSize?: number;
  /** Number of blocks (PEFT's boft_block_num). */
  blockNum?: number;
  /** Number of butterfly factors m (PEFT's boft_n_butterfly_factor), default 1. */
  factors?: number;
}

export type BoftConfig = BoftShapeConfig;

export const BOFT_OPTION_KEYS = ["blockSize", "blockNum", "factors"] as const satisfies readonly (keyof BoftOptions)[];

/**
 * Defaults and checks of the butterfly options (for BOFT and the hybrid). Whether exactly one of
 * blockSize and blockNum is given, and the divisibility rules, depend on each layer's width:
 * butterflyShape checks them per layer.
 */
export function boftConfig(where: string, o: BoftOptions): BoftConfig {
  const neither = o.blockSize === undefined && o.blockNum === undefined;
  return {
    blockSize: integerAtLeast(where, "blockSize", neither ? 4 : (o.blockSize ?? 0), 0),
    blockNum: integerAtLeast(where, "blockNum", o.blockNum ?? 0, 0),
    factors: integerAtLeast(where, "factors", o.factors ?? 1, 1),
  };
}

/** PEFT's BOFT fields of adapter_config.json. */
export function boftPeftFields(c: BoftConfig): Record<string, number> {
  return { boft_block_size: c.blockSize, boft_block_num: c.blockNum, boft_n_butterfly_factor: c.factors };
}

/** The butterfly of a saved folder (0 is PEFT's "not given"). */
export function boftFromPeft(where: string, f: PeftFile): BoftConfig {
  const size = f.number("boft_block_size", 0);
  const num = f.number("boft_block_num", 0);
  return boftConfig(where, {
    ...(size ? { blockSize: size } : {}),
    ...(num ? { blockNum: num } : {}),
    factors: f.number("boft_n_butterfly_factor", 1),
  });
}

export const boftMethod: AdapterMethod<"boft", BoftOptions, BoftConfig, BoftLayer> = {
  name: "boft",
  title: "BOFT (Liu et al. 2023): the weight's input side rotated by a butterfly of orthogonal blocks, rows rescaled",
  peftType: "BOFT",
  optionKeys: BOFT_OPTION_KEYS,
  gradientInit: false,
  config: (o) => boftConfig("boft", o),
  layer: ({ name, linear, prefix }, c) => new BoftLayer(name, linear, { ...c, prefix }),
  peftConfig: (c) => ({ ...boftPeftFields(c), boft_dropout: 0, init_weights: true }),
  fromPeft: (f) => ({ config: boftFromPeft("boft (adapter_config.json)", f) }),
  suffixes: ["boft_R", "boft_s"],
  // PEFT may save its permutation buffer; it is rebuilt from the config.
  ignoredSuffixes: ["boft_P"],
  checkpoint: {},
  experiment: { lr: { head: 5e-2, lm: 5e-2 }, settings: { blockSize: 4 } },
};

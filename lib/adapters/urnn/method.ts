// The uRNN-style unitary adapter's descriptor: no options beyond the seed (which fixes its
// permutation and initial reflections), its layer and its own adapter_config.json fields.
import type { AdapterMethod } from "../method.js";
import { UrnnLayer } from "./layer.js";

// biome-ignore lint/complexity/noBannedTypes: the unitary adapter has no options of its own
export type UrnnOptions = {};
export type UrnnConfig = Record<string, never>;

export const urnnMethod: AdapterMethod<"urnn", UrnnOptions, UrnnConfig, UrnnLayer> = {
  name: "urnn",
  title: "uRNN-style unitary adapter (after Arjovsky et al. 2016): inputs rotated by a unitary product",
  peftType: "URNN",
  optionKeys: [],
  gradientInit: false,
  config: () => ({}),
  layer: ({ name, linear, seed, prefix }) => new UrnnLayer(name, linear, { seed, prefix }),
  peftConfig: (_c, seed) => ({ transform: "walsh-hadamard", pairing: "interleaved", seed }),
  fromPeft: (f) => ({ config: {}, seed: f.number("seed", 0) }),
  suffixes: ["urnn_theta", "urnn_v0", "urnn_v", "urnn_perm"],
  checkpoint: {},
  experiment: { lr: { head: 5e-2, lm: 5e-2 }, settings: {} },
};

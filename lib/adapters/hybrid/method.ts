// The paper's hybrid: BOFT and LoRA-GA on one weight, mixed per layer by a gate (layer.ts,
// gate.ts). Its descriptor takes both methods' options and the gate policy, builds the LoRA-GA
// branch with LoRA-GA's own initialisation, runs the gate after every backward pass, and carries
// λ and the initial factors in training checkpoints.
import type * as tf from "@tensorflow/tfjs";
import { BoftLayer } from "../boft/layer.js";
import {
  BOFT_OPTION_KEYS,
  boftConfig,
  boftFromPeft,
  boftPeftFields,
  type BoftConfig,
  type BoftOptions,
} from "../boft/method.js";
import { GRADIENT_SOURCE_KEYS, type GradientSource } from "../gradient-estimate.js";
import { LoraLayer, type LoraLayerSpec } from "../lora/layer.js";
import { LORA_OPTION_KEYS, loraConfig, type LoraConfig, type LoraOptions } from "../lora/method.js";
import { loraGaInit, type LoraGaInitConfig, type LoraGaInitOptions } from "../loraga/init.js";
import { LORAGA_INIT_KEYS, loraGaInitConfig } from "../loraga/method.js";
import type { AdapterMethod, StepGradients } from "../method.js";
import { DEFAULT_GATE, gateMeasure, initialLambda, nextLambda, validateGate, type GatePolicy } from "./gate.js";
import { weightSpaceNorms, type BranchPair } from "./gate-signal.js";
import { HybridLayer } from "./layer.js";

export type HybridOptions = BoftOptions & LoraOptions & LoraGaInitOptions & GradientSource & { gate?: GatePolicy };

export type HybridConfig = BoftConfig &
  LoraConfig &
  LoraGaInitConfig & {
    gate: GatePolicy;
    /**
     * Rebuilt from a file: the LoRA-GA branch is a plain rank-r LoRA of scale 1 in converted form
     * (its change against the original weight), without initial factors. Never set by attach().
     */
    converted: boolean;
  };

function gateConfig(gate: GatePolicy | undefined): GatePolicy {
  const g = gate ?? DEFAULT_GATE;
  validateGate(g);
  return g;
}

/** The next λ of every layer from this step's gradients, as the policy measures the branches. */
function runGate({ layers, grads, step, groupNorm }: StepGradients<HybridLayer>, policy: GatePolicy) {
  const measure = gateMeasure(policy);
  let pairs: BranchPair[];
  if (measure === "weight-space")
    pairs = weightSpaceNorms(
      layers.map(({ linear, layer }) => ({ hybrid: layer, weight: linear.weight as tf.Tensor2D })),
      grads,
    );
  else if (measure === "parameter")
    pairs = layers.map(({ name }) => ({ boft: groupNorm(name, "boft"), loraga: groupNorm(name, "loraga") }));
  else pairs = layers.map(() => ({ boft: Number.NaN, loraga: Number.NaN }));
  const count = (vars: { size: number }[]) => vars.reduce((n, v) => n + v.size, 0);
  return layers.map(({ layer: h }, i) => {
    h.lambda = nextLambda(policy, h.lambda, {
      ...(pairs[i] as BranchPair),
      boftCount: count([h.boft.R, h.boft.s]),
      loragaCount: count([h.lora.A, h.lora.B]),
    });
    return { step, layer: h.layer, lambda: h.lambda };
  });
}

export const hybridMethod: AdapterMethod<"hybrid", HybridOptions, HybridConfig, HybridLayer> = {
  name: "hybrid",
  title: "Hybrid (arXiv 2507.18076): BOFT and LoRA-GA on each weight, mixed per layer by a gradient-driven gate",
  peftType: "HYBRID_BOFT_LORAGA",
  optionKeys: [...BOFT_OPTION_KEYS, ...LORA_OPTION_KEYS, ...LORAGA_INIT_KEYS, ...GRADIENT_SOURCE_KEYS, "gate"],
  gradientInit: true,
  config: (o) => ({
    ...boftConfig("hybrid", o),
    ...loraConfig("hybrid", o, true),
    ...loraGaInitConfig("hybrid", o),
    gate: gateConfig(o.gate),
    converted: false,
  }),
  layer: ({ name, linear, seed, prefix, ctx, gradient }, c) => {
    const boft = new BoftLayer(name, linear, { ...c, prefix });
    const lambda = initialLambda(c.gate);
    const loraBranch = (spec: Pick<LoraLayerSpec, "scale" | "dropout" | "init">) =>
      new LoraLayer(
        name,
        linear.inFeatures,
        linear.outFeatures,
        { seed, prefix, branch: "loraga", r: c.r, ...spec },
        ctx,
      );
    // From a file: the branch in converted form (scale 1, no initial factors); the file's tensors follow.
    if (c.converted) return new HybridLayer(name, linear, boft, loraBranch({ scale: 1, dropout: 0 }), null, lambda);
    const { A0, B0, scale } = loraGaInit(name, linear, gradient as Float64Array, c, seed);
    const lora = loraBranch({ scale, dropout: c.dropout, init: { A: A0, B: B0 } });
    return new HybridLayer(name, linear, boft, lora, { A0, B0 }, lambda);
  },
  // The LoRA-GA change in converted rank-2r form, its scale folded in (lora_alpha = r).
  peftConfig: (c) => {
    const rank = c.converted ? c.r : 2 * c.r;
    return { ...boftPeftFields(c), r: rank, lora_alpha: rank, gate: c.gate };
  },
  // A file without a gate predates the gate setting and gets the default.
  fromPeft: (f) => {
    const rank = f.shape("lora_A.weight")?.[0] ?? f.number("r", 16);
    return {
      config: {
        ...boftFromPeft("hybrid (adapter_config.json)", f),
        ...loraConfig("hybrid (adapter_config.json)", { r: rank, alpha: rank, rslora: false, dropout: 0 }, false),
        ...loraGaInitConfig("hybrid", {}),
        gate: gateConfig(f.config.gate as GatePolicy | undefined),
        converted: true,
      },
    };
  },
  suffixes: ["boft_R", "boft_s", "lora_A.weight", "lora_B.weight", "hybrid_lambda"],
  ignoredSuffixes: ["boft_P"],
  checkpoint: {
    lambda: {
      get: (layer) => layer.lambda,
      set: (layer, value) => {
        layer.lambda = value;
      },
    },
    initFactors: {
      get: (layer) => layer.initFactors,
      restore: (layer, { A0, B0 }) => layer.restoreInitFactors(A0, B0),
    },
  },
  onGradients: (step, c) => runGate(step, c.gate),
  experiment: {
    lr: { head: 5e-3, lm: 2e-2 },
    settings: { r: 4, blockSize: 4, gate: DEFAULT_GATE, gradientBatches: 4 },
  },
};

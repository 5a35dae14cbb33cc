// What the library knows about one adapter method, in one place. Each method's folder exports
// one descriptor (<method>/method.ts) and registry.ts lists them: attach(), the adapter file
// reader and writer, training checkpoints, runMethod, the reproduction settings, the benches and
// the notebooks reach a method only through its descriptor. Modelled on Hugging Face PEFT, where
// each tuner has a config class holding its defaults and checks and is registered once.
import type * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";
import type { GateRecord } from "../records/types.js";
import type { GatePolicy } from "./hybrid/gate.js";
import type { AdapterContext, LayerAdapter } from "./types.js";

/** What building one layer is given. */
export interface LayerBuild {
  /** Module path of the target Linear. */
  name: string;
  linear: Linear;
  /** The attachment's seed; layers mix in their name (seeded.ts). */
  seed: number;
  /** Prefix of the tfjs variable names, unique per attachment. */
  prefix: string;
  ctx: AdapterContext;
  /** dL/dW [out, in] of this target (float64, row-major), for a method with `gradientInit`. */
  gradient?: Float64Array;
}

/** An adapter folder being loaded: its adapter_config.json and the tensor shapes of its first module. */
export interface PeftFile {
  config: Record<string, unknown>;
  /** A numeric field of the config, or `fallback` (PEFT's default) when it is absent. */
  number(key: string, fallback: number): number;
  /** The shape of the first adapted module's tensor with this suffix. */
  shape(suffix: string): number[] | undefined;
}

/** What a training checkpoint carries for a method beyond its variables and the dropout counter. */
export interface CheckpointParts<L> {
  /** A per-layer mixing weight with memory (the hybrid's gate λ), saved as `lambdas`. */
  lambda?: {
    get(layer: L): number;
    set(layer: L, value: number): void;
  };
  /**
   * Gradient-derived initial factors B₀, A₀ (LoRA-GA's), saved as tensors: re-attaching would
   * estimate them again from a fresh gradient, which need not give the same bits.
   */
  initFactors?: {
    /** Null for a layer that has none (a hybrid loaded from a file). */
    get(layer: L): { A0: tf.Tensor2D; B0: tf.Tensor2D } | null;
    /** Takes ownership of the checkpoint's factors (and of `offset`, when offsetWeight gave one). */
    restore(layer: L, factors: { A0: tf.Tensor2D; B0: tf.Tensor2D }, offset: tf.Tensor2D | undefined): void;
    /** The frozen weight these factors give, when the layer folds them into it (W − s·B₀A₀). */
    offsetWeight?(layer: L, factors: { A0: tf.Tensor2D; B0: tf.Tensor2D }): tf.Tensor2D;
    /** The base weight before the layer changed it, when it did: what the base digest is taken of. */
    originalWeight?(layer: L): tf.Tensor2D;
  };
}

/** One optimiser step's gradients, as the trainer hands them to the attachment (before clipping). */
export interface StepGradients<L> {
  /** Every adapted layer, in model order. */
  layers: readonly { name: string; linear: Linear; layer: L }[];
  /** By tf.Variable name. */
  grads: Record<string, tf.Tensor>;
  step: number;
  /** L2 norm of one parameter group's gradient (the trainer computes them once per step). */
  groupNorm(layer: string, branch: string): number;
}

/**
 * How runMethod (lib/experiments) runs this method when the caller does not say: learning rates
 * tuned on the project's small base (docs/reproductions.md) and the AdapterSettings it reads.
 */
export interface ExperimentDefaults {
  /** AdamW learning rate by label scoring: "head" is runMethod's default, "lm" the smoke/small reproductions'. */
  lr: { head: number; lm: number };
  /** The runMethod adapter settings this method reads, with their defaults (alpha follows r: 2·r). */
  settings: {
    r?: number;
    blockSize?: number;
    gate?: GatePolicy;
    /** LoRA-GA's gradient estimate averages this many training batches (gradientSamples = this × batch size). */
    gradientBatches?: number;
  };
}

/**
 * One adapter method. `O` is what attach() takes besides method, targets and seed; `C` the
 * resolved configuration (every default applied, every value checked); `L` its layer.
 * Members are methods (not function-valued fields) so a descriptor of any method can be handled
 * as an `AnyAdapterMethod`.
 */
export interface AdapterMethod<N extends string, O extends object, C, L extends LayerAdapter> {
  readonly name: N;
  /** One line: what it is and where it comes from. */
  readonly title: string;
  /** adapter_config.json's peft_type when saved. */
  readonly peftType: string;
  /** Every option key attach() accepts for this method (besides method, targets, seed); any other is refused. */
  readonly optionKeys: readonly (keyof O & string)[];
  /** Initialised from dL/dW of every target: attach() needs `estimate` or `gradients`. */
  readonly gradientInit: boolean;
  /** Defaults applied and each value checked; an error names the option and what was found. */
  config(options: O): C;
  layer(build: LayerBuild, config: C): L;
  /** The method's fields of adapter_config.json (the common PEFT fields are added by the writer). */
  peftConfig(config: C, seed: number): Record<string, unknown>;
  /**
   * The configuration a saved folder of `peftType` describes (layers are then built from it and
   * their tensors read from the file). Absent when this method's files load as another method's
   * (LoRA-GA is saved as a plain LoRA).
   */
  fromPeft?(file: PeftFile): { config: C; seed?: number };
  /** Tensor names its layers save, after `base_model.model.<module>.` */
  readonly suffixes: readonly string[];
  /** Tensors PEFT may save that are rebuilt from the config instead (skipped when loading). */
  readonly ignoredSuffixes?: readonly string[];
  readonly checkpoint: CheckpointParts<L>;
  /** After each backward pass, before the optimiser step: the hybrid's gate. Returns what to record. */
  onGradients?(step: StepGradients<L>, config: C): GateRecord[];
  readonly experiment: ExperimentDefaults;
}

/** A descriptor of some method, handled without knowing which (configs and layers are opaque). */
// biome-ignore lint/suspicious/noExplicitAny: the configuration's type is the method's own business
export type AnyAdapterMethod = AdapterMethod<string, any, any, any>;

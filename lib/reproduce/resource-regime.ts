// Step time and peak memory of every method on a randomly initialised LLaMA, a few steps each on
// synthetic tokens: the resource comparison without a pre-trained base. Random weights train as
// fast and take as much memory as trained ones of the same shape, so this measures cost, never
// quality. Two regimes matter (docs/reproductions.md): with short sequences on a model of tens of
// millions of parameters, weights, gradients and optimiser state dominate peak memory, as on the
// paper's 7B-405B models; on the sub-million-parameter fine-tuning bases, activations do.
import * as tf from "@tensorflow/tfjs";
import { ADAPTER_METHOD_NAMES, adapterMethod, attach, type AttachOptions } from "../adapters/index.js";
import { progressBar } from "../display/progress.js";
import { RUNS_PROGRESS_KIND } from "../display/progress-report.js";
import { TRAINED_METHODS, type TrainedMethod } from "../experiments/methods.js";
import { causalLmLoss, createModel, makeConfig, type ModelConfig, type TransformerModel } from "../models/index.js";
import type { Table } from "../plots/table.js";
import { shuffledBatches } from "../train/data.js";
import { fullFineTuning } from "../train/full.js";
import { peakMemoryBytes, type ResourceReport } from "../train/resources.js";
import { train, type Trainable } from "../train/trainer.js";
import type { Scale } from "./catalog.js";

export interface RegimeModel {
  /** How the regime is named in tables. */
  label: string;
  config: ModelConfig;
  batch: number;
  seq: number;
}

const llama = (hiddenSize: number, numLayers: number, numHeads: number, vocabSize: number) =>
  makeConfig({
    family: "llama",
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads: numHeads / 2,
    // LLaMA's SwiGLU width: 8/3 of the hidden size, rounded to a multiple of 16 (here of 8 for the small ones).
    intermediateSize: Math.round((hiddenSize * 8) / 3 / 8) * 8,
  });

export const RESOURCE_REGIMES = {
  /** Activations dominate: a model the size of the smoke base with a longer batch. */
  activations: { label: "activation-dominated (d64, 2 layers)", config: llama(64, 2, 4, 512), batch: 4, seq: 64 },
  /** Weights and optimiser state dominate at CI cost: 3.4 M parameters, 2 × 32 tokens. */
  "paper-smoke": {
    label: "weight-dominated, CI size (d256, 4 layers)",
    config: llama(256, 4, 8, 1024),
    batch: 2,
    seq: 32,
  },
  /** The paper's regime at a size two CPU cores train in about a second per step: 26 M parameters, 2 × 32 tokens. */
  paper: { label: "weight-dominated (d512, 6 layers)", config: llama(512, 6, 8, 8192), batch: 2, seq: 32 },
} as const satisfies Record<string, RegimeModel>;

export type ResourceRegimeName = keyof typeof RESOURCE_REGIMES;

/** The weight-dominated model a reproduction measures at a scale: the 31 M one, except at smoke (CI minutes). */
export function paperRegimeFor(scale: Scale): RegimeModel {
  return RESOURCE_REGIMES[scale === "smoke" ? "paper-smoke" : "paper"];
}

/** Parameters of a LLaMA config, counted from its shapes (the same as the model's variables). */
export function llamaParameterCount(c: ModelConfig): number {
  const kv = c.numKvHeads * c.headDim;
  const attention = c.hiddenSize * c.numHeads * c.headDim * 2 + c.hiddenSize * kv * 2;
  const mlp = 3 * c.hiddenSize * c.intermediateSize;
  const norms = 2 * c.hiddenSize;
  const embeddings = c.vocabSize * c.hiddenSize * (c.tieWordEmbeddings ? 1 : 2);
  return c.numLayers * (attention + mlp + norms) + c.hiddenSize + embeddings;
}

// Attention and MLP projections, as the paper adapts them; embeddings and head stay frozen.
const TARGETS = /(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$/;

function syntheticBatches(m: RegimeModel, seed: number) {
  return shuffledBatches({
    size: 64,
    batchSize: m.batch,
    seed,
    collate: (idx) =>
      tf.tensor2d(
        idx.flatMap((i) => Array.from({ length: m.seq }, (_, t) => (i * 7919 + t * 104729) % m.config.vocabSize)),
        [idx.length, m.seq],
        "int32",
      ),
  });
}

const lmLoss = (model: TransformerModel, ids: tf.Tensor2D) => tf.tidy(() => causalLmLoss(model.forward(ids), ids));

/** A row of the measurement: a method with its attach() defaults, or a variant with some options changed. */
export type RegimeMethod = string | { name: string; method: TrainedMethod; options?: Record<string, unknown> };

/** A method with its attach() defaults and `options` over them (full fine-tuning trains every weight); LoRA-GA and the hybrid get a gradient estimate. */
function trainableFor(
  method: string,
  options: Record<string, unknown>,
  m: RegimeModel,
  model: TransformerModel,
): Trainable & { detach?(): void } {
  if (method === "full") return fullFineTuning(model);
  if (!ADAPTER_METHOD_NAMES.includes(method as never))
    throw new Error(`measureResources: unknown method '${method}'; expected some of ${TRAINED_METHODS.join(", ")}`);
  const d = syntheticBatches(m, 99);
  const estimate = { loss: (b: tf.Tensor2D) => lmLoss(model, b), batches: [d.next(), d.next()], samples: 2 * m.batch };
  return attach(model, {
    method,
    targets: TARGETS,
    ...options,
    ...(adapterMethod(method).gradientInit ? { estimate } : {}),
  } as AttachOptions);
}

export interface ResourceMeasurement {
  /** The row's name: the method, or a variant's name. */
  method: string;
  resources: ResourceReport;
  finalLoss: number;
}

export interface MeasureResourcesOptions {
  model: RegimeModel;
  /** Methods (or variants) to measure; full fine-tuning, which every ratio is taken against, always runs first. Default all. */
  methods?: readonly RegimeMethod[];
  /** Optimiser steps per method (the first, kernel warm-up, is left out of the step time); default 6. */
  steps?: number;
  /** Seed of the weights (the same for every method); default 0. */
  seed?: number;
  lr?: number;
  /** A live "runs done / total" bar (default on). */
  progress?: boolean;
}

/** Each method trained on a fresh copy of the same random model, then released. */
export async function measureResources(o: MeasureResourcesOptions): Promise<ResourceMeasurement[]> {
  const steps = o.steps ?? 6;
  if (!Number.isInteger(steps) || steps < 2)
    throw new Error(`measureResources: steps must be an integer of at least 2 (the first is warm-up), found ${steps}`);
  const asked = (o.methods ?? TRAINED_METHODS).map((m) =>
    typeof m === "string" ? { name: m, method: m, options: {} } : { options: {}, ...m },
  );
  const methods = [{ name: "full", method: "full", options: {} }, ...asked.filter((m) => m.name !== "full")];
  const bar =
    o.progress === false
      ? undefined
      : progressBar({ total: methods.length, label: `${o.model.label} runs`, kind: RUNS_PROGRESS_KIND });
  const out: ResourceMeasurement[] = [];
  try {
    for (const { name, method, options } of methods) {
      const model = createModel(o.model.config, { seed: o.seed ?? 0 });
      let trainable: (Trainable & { detach?(): void }) | undefined;
      try {
        trainable = trainableFor(method, options, o.model, model);
        const r = await train<tf.Tensor2D>({
          trainable,
          loss: (b) => lmLoss(model, b),
          data: syntheticBatches(o.model, 1),
          steps,
          optimizer: { kind: "adamw", lr: o.lr ?? 1e-3 },
          progress: false,
          name,
        });
        out.push({ method: name, resources: r.resources, finalLoss: r.losses.at(-1) as number });
      } finally {
        trainable?.detach?.();
        model.dispose();
      }
      bar?.update(out.length, { last: name });
    }
  } finally {
    bar?.close();
  }
  return out;
}

/** What fills full fine-tuning's peak memory in a measurement (bytes). */
export interface RegimeBreakdown {
  params: number;
  /** peakMemoryBytes of the full fine-tuning run. */
  peak: number;
  weights: number;
  /** Gradients and AdamW's two moments: three more copies of the weights. */
  trainingState: number;
  /** The rest: activations and temporaries. */
  other: number;
  /** (weights + trainingState) / peak: above one half, the regime the paper's claims are about. */
  stateShare: number;
}

export function regimeBreakdown(runs: readonly ResourceMeasurement[]): RegimeBreakdown {
  const full = runs.find((r) => r.method === "full");
  if (!full) throw new Error("regimeBreakdown: no full fine-tuning run among the measurements");
  const params = full.resources.trainableParams;
  const weights = 4 * params;
  const peak = peakMemoryBytes(full.resources, weights);
  const trainingState = 3 * weights;
  return {
    params,
    peak,
    weights,
    trainingState,
    other: Math.max(0, peak - weights - trainingState),
    stateShare: Math.min(1, (weights + trainingState) / peak),
  };
}

/** What the regime is and what fills full fine-tuning's peak memory: the evidence that it is the regime claimed. */
export function regimeTable(m: RegimeModel, runs: readonly ResourceMeasurement[]): Table {
  const b = regimeBreakdown(runs);
  const mib = (bytes: number) => bytes / 2 ** 20;
  return {
    columns: ["quantity", "value"],
    rows: [
      ["model", `${m.label}: randomly initialised LLaMA, synthetic tokens`],
      ["parameters (M)", b.params / 1e6],
      ["tokens per step", `${m.batch} × ${m.seq}`],
      ["full fine-tuning peak (MiB)", mib(b.peak)],
      ["  weights (MiB)", mib(b.weights)],
      ["  gradients + AdamW moments (MiB)", mib(b.trainingState)],
      ["  activations and temporaries (MiB)", mib(b.other)],
      ["weights + gradients + optimiser state, share of the peak", b.stateShare],
    ],
    digits: 2,
    caption: `Resource regime "${m.label}": what full fine-tuning's peak memory is made of`,
  };
}

// How big each scale's rerun is. One table so every reproduction notebook trains exactly the same
// runs at a scale, which lets them share cached runs (runs.ts) instead of training them again.
import { DEFAULT_GATE, type GatePolicy } from "../adapters/hybrid/gate.js";
import { adapterMethod, isAdapterMethod } from "../adapters/registry.js";
import type { GlueTask } from "../data/glue.js";
import { learningRates, type TrainedMethod } from "../experiments/methods.js";
import type { RunMethodOptions } from "../experiments/run-method.js";
import type { ScoringMode } from "../experiments/scoring.js";
import type { Scale } from "./catalog.js";

export { TRAINED_METHODS, type TrainedMethod } from "../experiments/methods.js";

export interface ScaleSettings {
  scale: Scale;
  /** GLUE tasks of the main table. */
  tasks: GlueTask[];
  /** Seeds per cell of the main table. */
  seedCount: number;
  steps: number;
  /** How labels are scored and trained (runMethod's `scoring`): "lm" scores the label word, "head" adds a classifier. */
  scoring: ScoringMode;
  /** Learning rate per method; a method left out uses runMethod's DEFAULT_LR (tuned for "head"). */
  lr?: Partial<Record<TrainedMethod, number>>;
  batchSize: number;
  seqLen: number;
  /** Training examples (seeded subsample). */
  trainLimit?: number;
  /** Dev examples for the final metric. */
  evalLimit: number;
  /** Dev examples in the validation-loss curve. */
  evalLossLimit: number;
  /** Points on the validation-loss curve. */
  evalPoints: number;
  /** Generation budget of the floor columns (problems each; 0 leaves them out). */
  generative: { gsm8k: number; humaneval: number; maxTokens: number };
  /** The hybrid's gate policy in every run of the scale (a run's own `adapter.gate` wins). */
  gate: GatePolicy;
  /** The gate policies the gate-ablation notebook compares (GATE_PRESETS names), besides the notebook's own. */
  gateAblation: readonly string[];
  /** A task's own budget where its texts need another length (sentence pairs) or it needs fewer steps to fit. */
  perTask?: Partial<Record<GlueTask, TaskBudget>>;
}

/** The fields of a scale's budget a task may set for itself. */
export interface TaskBudget {
  steps?: number;
  batchSize?: number;
  seqLen?: number;
  evalLimit?: number;
}

/** Each task's budget in words: "cola: 40 steps × 16 rows × 32 tokens, 1043 dev examples". */
export function budgetSummary(s: ScaleSettings): string {
  return s.tasks
    .map((t) => {
      const b = budgetFor(s, t);
      return `${t}: ${b.steps} steps × ${b.batchSize} rows × ${b.seqLen} tokens, ${b.evalLimit} dev examples`;
    })
    .join("; ");
}

/** The scale's settings with a task's own budget applied. */
export function budgetFor(s: ScaleSettings, task: GlueTask): ScaleSettings {
  const own = s.perTask?.[task];
  return own ? { ...s, ...own } : s;
}

/** Rates of the "lm" scoring sweep (docs/reproductions.md; each method's descriptor); DEFAULT_LR is tuned for "head". */
const LM_LR = learningRates("lm");

/**
 * small's rates with the classification head, from the sweep on a held-out part of SST-2 train (never
 * dev) on the shipped base: 100 steps x 16 rows of 48 tokens, two rates per method, seed 0
 * (docs/reproductions.md, "The shipped 4.2 M base").
 */
const SMALL_HEAD_LR: Record<TrainedMethod, number> = {
  full: 1e-3,
  lora: 5e-3,
  boft: 1e-2,
  // 2e-3 over 5e-3 on three seeds of the validation split (0.591 vs 0.584), docs/reproductions.md
  loraga: 2e-3,
  urnn: 5e-2,
  hybrid: 5e-3,
};

const ALL_GATES = ["weight", "share", "share-compensated", "fixed-0.5"] as const;

/** What every scale shares: the hybrid's default gate (a notebook's `gate` parameter overrides it) and the ablation's gates. */
const EVERY_SCALE = { gate: DEFAULT_GATE, gateAblation: ALL_GATES } as const;

/**
 * smoke: CI minutes on 2 cores, proves the pipeline end to end, not the science.
 * small: the default; the whole set within 30 minutes on 2 cores, with a learning signal.
 * full: a GPU and a real checkpoint; the paper's GLUE subset and budgets.
 */
export const SCALE_SETTINGS: Record<Scale, ScaleSettings> = {
  smoke: {
    scale: "smoke",
    tasks: ["sst2"],
    seedCount: 2,
    steps: 6,
    scoring: "lm",
    lr: LM_LR,
    batchSize: 8,
    seqLen: 32,
    trainLimit: 128,
    evalLimit: 48,
    evalLossLimit: 16,
    evalPoints: 2,
    generative: { gsm8k: 2, humaneval: 2, maxTokens: 8 },
    ...EVERY_SCALE,
  },
  small: {
    scale: "small",
    tasks: ["sst2", "cola", "mrpc", "rte"],
    seedCount: 3,
    steps: 100,
    scoring: "head",
    lr: SMALL_HEAD_LR,
    batchSize: 16,
    seqLen: 48,
    evalLimit: 872,
    evalLossLimit: 64,
    evalPoints: 4,
    generative: { gsm8k: 4, humaneval: 4, maxTokens: 24 },
    // At 100 steps full fine-tuning leaves CoLA, MRPC and RTE at their constant predictor on the
    // validation split (docs/reproductions.md), so they get 30 steps to fit the 30 minutes; sentence
    // pairs get 96 tokens (MRPC's pairs run to ~70, RTE's premises are cut) in rows of 8.
    perTask: {
      cola: { steps: 30, seqLen: 32, evalLimit: 1043 },
      mrpc: { steps: 30, batchSize: 8, seqLen: 96, evalLimit: 408 },
      rte: { steps: 30, batchSize: 8, seqLen: 96, evalLimit: 277 },
    },
    ...EVERY_SCALE,
    // share-compensated is left to smoke and full here: three seeds of it are 4 more minutes.
    gateAblation: ["weight", "share", "fixed-0.5"],
  },
  full: {
    scale: "full",
    tasks: ["sst2", "cola", "mrpc", "rte"],
    seedCount: 3,
    steps: 1000,
    scoring: "head",
    batchSize: 16,
    seqLen: 128,
    evalLimit: 1000,
    evalLossLimit: 256,
    evalPoints: 10,
    generative: { gsm8k: 1319, humaneval: 164, maxTokens: 256 },
    ...EVERY_SCALE,
  },
};

export function settingsFor(scale: Scale): ScaleSettings {
  const s = SCALE_SETTINGS[scale];
  if (!s)
    throw new Error(
      `settingsFor: unknown scale ${JSON.stringify(scale)} (expected ${Object.keys(SCALE_SETTINGS).join(", ")})`,
    );
  return s;
}

/** The seeds of a scale: `count` consecutive seeds from `seed`, unless given explicitly. */
export function seedList(seed: number, count: number, explicit?: readonly number[] | null): number[] {
  if (explicit && explicit.length > 0) {
    for (const s of explicit)
      if (!Number.isInteger(s) || s < 0)
        throw new Error(`seeds: expected non-negative integers, found ${JSON.stringify(explicit)}`);
    return [...explicit];
  }
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed: expected a non-negative integer, found ${seed}`);
  return Array.from({ length: count }, (_, i) => seed + i);
}

export interface RunSpec {
  baseDir: string;
  method: RunMethodOptions["method"];
  task: GlueTask;
  seed: number;
  dataDir?: string | null;
  adapter?: RunMethodOptions["adapter"];
}

/** Whether a method has a hybrid gate (its options then always name the gate, so the run cache tells policies apart). */
export function hasGate(method: RunSpec["method"]): boolean {
  return isAdapterMethod(method) && adapterMethod(method).experiment.settings.gate !== undefined;
}

/** The runMethod options of one run at a scale: the same in every notebook, so runs are shared. */
export function runOptionsFor(scale: ScaleSettings, spec: RunSpec): RunMethodOptions {
  const s = budgetFor(scale, spec.task);
  return {
    baseDir: spec.baseDir,
    method: spec.method,
    task: spec.task,
    seed: spec.seed,
    steps: s.steps,
    scoring: s.scoring,
    ...(spec.method !== "base" && s.lr?.[spec.method] !== undefined ? { lr: s.lr[spec.method] } : {}),
    batchSize: s.batchSize,
    seqLen: s.seqLen,
    trainLimit: s.trainLimit,
    evalLimit: s.evalLimit,
    evalLossLimit: s.evalLossLimit,
    evalEvery: Math.max(1, Math.floor(s.steps / s.evalPoints)),
    ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
    // The gate is always explicit in the options of a method with one, so the run cache tells policies apart.
    ...(hasGate(spec.method)
      ? { adapter: { ...spec.adapter, gate: spec.adapter?.gate ?? s.gate } }
      : spec.adapter
        ? { adapter: spec.adapter }
        : {}),
  };
}

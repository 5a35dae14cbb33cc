// One fine-tuning run as the reproduction notebooks call it: load the base model fresh, attach
// a method (or train every weight), train with lib/train on a GLUE task, evaluate with lib/eval.
import * as tf from "@tensorflow/tfjs";
import { attach, type AttachOptions, type Attachment, type GatePolicy, type TargetSpec } from "../adapters/index.js";
import { adapterMethod } from "../adapters/registry.js";
import type { loadGlue, GlueTask } from "../data/glue.js";
import { subsample } from "../data/sample.js";
import { evaluateGlue } from "../eval/glue.js";
import { GLUE_VERBALIZERS } from "../eval/prompts.js";
import { loadTokenizer, type HfTokenizer } from "../io/tokenizer.js";
import { loadModelWithTokenizer } from "../models/pretrained.js";
import type { TransformerModel } from "../models/model.js";
import type { ParameterGroup } from "../nn/module.js";
import type { GateRecord, GradNormRecord, RunCurve } from "../records/types.js";
import { fullFineTuning } from "../train/full.js";
import type { ResourceReport } from "../train/resources.js";
import { listCheckpoints } from "../train/training-checkpoint.js";
import { train, type StepInfo, type Trainable } from "../train/trainer.js";
import { withClassificationHead } from "./classifier.js";
import { glueBatches, type GlueBatch } from "./glue-batches.js";
import { glueLoss, meanGlueLoss } from "./loss.js";
import { checkPooling, type Pooling } from "./pooling.js";
import { DEFAULT_LR, RUN_METHODS, type MethodName } from "./methods.js";
import { labelScorerFor, type ScoringMode } from "./scoring.js";
import { runExamples, type EvalSplit } from "./validation-split.js";

export { DEFAULT_LR, RUN_METHODS, type MethodName } from "./methods.js";

/** Attention and MLP projections of both families, as the paper adapts them. */
export const DEFAULT_TARGETS = /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj|c_attn|c_proj|c_fc)$/;

/**
 * The adapter knobs runMethod passes to attach(); a method reads those its descriptor's
 * `experiment.settings` lists, with the defaults given there (lib/adapters/<method>/method.ts).
 */
export interface AdapterSettings {
  /** Rank (LoRA, LoRA-GA, hybrid; 4 by their descriptors) and alpha (default 2·r). */
  r?: number;
  alpha?: number;
  /** BOFT / hybrid block size (4 by their descriptors). */
  blockSize?: number;
  /** Hybrid gate policy (the adapters' DEFAULT_GATE, "weight"). */
  gate?: GatePolicy;
  /** Examples averaged for LoRA-GA's gradient estimate (4 batches' worth by its descriptor). */
  gradientSamples?: number;
}

export interface RunMethodOptions {
  /** A Hugging Face model folder with tokenizer.json (e.g. from ensureBaseModel). */
  baseDir: string;
  method: MethodName;
  task: GlueTask;
  seed?: number;
  steps: number;
  lr?: number;
  batchSize?: number;
  /** Tokens per training/scoring row; default 64. */
  seqLen?: number;
  /** Training examples (seeded subsample of the train split); default all. */
  trainLimit?: number;
  /** Dev examples for the final metrics; default 200. */
  evalLimit?: number;
  /** Dev-loss evaluation every N steps (the eval curve); default max(1, steps / 4). */
  evalEvery?: number;
  /** Dev examples in the eval curve's loss; default 64. */
  evalLossLimit?: number;
  /** "head" (default): a new classification head trained with every method (PEFT's modules_to_save); "lm": verbalised labels scored by the LM head, nothing added. */
  scoring?: ScoringMode;
  /** "head" scoring: "mean" (default) averages the final hidden states over real tokens; "last" reads the last token, as transformers does. */
  pooling?: Pooling;
  targets?: TargetSpec;
  adapter?: AdapterSettings;
  warmupSteps?: number;
  clip?: number;
  /** Also evaluate the model before training (baseMetrics). */
  evaluateBase?: boolean;
  /**
   * What the final metrics and the dev-loss curve score: "dev" (default) or "validation", a fixed
   * held-out part of train that training then never sees (for sweeps that must not read dev).
   */
  evalSplit?: EvalSplit;
  /** GLUE data directory (default lib/data's dataDir()). */
  dataDir?: string;
  progress?: boolean;
}

/** How a run executes, never what it computes: not part of its cache key (runs.ts hashes the options only). */
export interface RunHooks {
  /** Checkpoint every `every` steps into `dir`, and resume from the newest good checkpoint there when it has one. */
  checkpoint?: { dir: string; every: number; keepLast?: number };
  onStep?(info: StepInfo): void | Promise<void>;
  /** After training, before the final evaluation: the tuned attachment (null for full fine-tuning) and the checkpoint training resumed from. */
  onTrained?(info: { attachment: Attachment | null; resumedFrom?: string }): void | Promise<void>;
}

export interface RunResult {
  method: MethodName;
  task: GlueTask;
  seed: number;
  steps: number;
  /** The task's GLUE metrics on the dev subset plus `devLoss` (the training loss on dev examples). */
  metrics: Record<string, number>;
  /** The headline metric's name (accuracy, f1 or mcc). */
  primary: string;
  baseMetrics?: Record<string, number>;
  /** Null for "base" (nothing trained). */
  resources: ResourceReport | null;
  lossCurve: RunCurve;
  /** Dev loss over steps (metric "devLoss"). */
  evalCurve: RunCurve;
  gradNorms: GradNormRecord[];
  gates: GateRecord[];
}

/** The largest batch size ≤ max that divides n, so a fixed evaluation set is scored whole. */
function divisorUpTo(n: number, max: number): number {
  for (let b = Math.min(n, max); b > 1; b--) if (n % b === 0) return b;
  return 1;
}

function checkOptions(o: RunMethodOptions): void {
  if (!RUN_METHODS.includes(o.method))
    throw new Error(`runMethod: unknown method ${JSON.stringify(o.method)}; expected one of ${RUN_METHODS.join(", ")}`);
  if (o.method !== "base" && (!Number.isInteger(o.steps) || o.steps < 1))
    throw new Error(`runMethod: steps must be a positive integer, found ${o.steps}`);
  if (o.pooling !== undefined) checkPooling(o.pooling);
  if (o.lr !== undefined && !(o.lr > 0)) throw new Error(`runMethod: lr must be positive, found ${o.lr}`);
}

/** The adapter settings a method actually reads, defaults filled in (null for "base", "full" and a method that reads none). */
export type ResolvedAdapterSettings = AdapterSettings;

/**
 * Every option runMethod acts on, with its default applied: the one place the defaults live, so the
 * run cache key (lib/reproduce/run-key.ts) hashes what a run does, not what its caller happened to
 * pass. Training-only fields are null for "base", settings a method ignores are left out.
 */
export interface ResolvedRunOptions {
  baseDir: string;
  method: MethodName;
  task: GlueTask;
  seed: number;
  /** Null for "base" (nothing trained) here and in every training field below. */
  steps: number | null;
  lr: number | null;
  batchSize: number | null;
  seqLen: number;
  /** Null: the whole train split. */
  trainLimit: number | null;
  evalLimit: number;
  evalEvery: number | null;
  evalLossLimit: number;
  scoring: ScoringMode;
  pooling: Pooling;
  targets: TargetSpec | null;
  adapter: ResolvedAdapterSettings | null;
  warmupSteps: number | null;
  clip: number | null;
  evaluateBase: boolean;
  evalSplit: EvalSplit;
  /** Undefined: lib/data's dataDir(). */
  dataDir: string | undefined;
  progress: boolean;
}

export function resolveRunOptions(o: RunMethodOptions): ResolvedRunOptions {
  checkOptions(o);
  const seed = o.seed ?? 0;
  const common = {
    baseDir: o.baseDir,
    method: o.method,
    task: o.task,
    seed,
    seqLen: o.seqLen ?? 64,
    evalLimit: o.evalLimit ?? 200,
    evalLossLimit: o.evalLossLimit ?? 64,
    scoring: o.scoring ?? "head",
    pooling: o.pooling ?? "mean",
    evalSplit: o.evalSplit ?? "dev",
    dataDir: o.dataDir ?? undefined,
    progress: o.progress ?? false,
  };
  if (o.method === "base") {
    return {
      ...common,
      steps: null,
      lr: null,
      batchSize: null,
      trainLimit: null,
      evalEvery: null,
      targets: null,
      adapter: null,
      warmupSteps: null,
      clip: null,
      evaluateBase: true,
    };
  }
  const batchSize = o.batchSize ?? 8;
  return {
    ...common,
    steps: o.steps,
    lr: o.lr ?? DEFAULT_LR[o.method],
    batchSize,
    trainLimit: o.trainLimit ?? null,
    evalEvery: o.evalEvery ?? Math.max(1, Math.floor(o.steps / 4)),
    targets: o.method === "full" ? null : (o.targets ?? DEFAULT_TARGETS),
    adapter: resolveAdapter(o.method, o.adapter ?? {}, batchSize),
    warmupSteps: o.warmupSteps ?? Math.min(5, Math.floor(o.steps / 10)),
    clip: o.clip ?? 1,
    evaluateBase: o.evaluateBase ?? false,
  };
}

/** The settings a method reads (its descriptor's experiment.settings), defaults filled in; null when it reads none. */
function resolveAdapter(method: MethodName, a: AdapterSettings, batchSize: number): ResolvedAdapterSettings | null {
  if (method === "base" || method === "full") return null;
  const d = adapterMethod(method).experiment.settings;
  if (Object.keys(d).length === 0) return null;
  const out: ResolvedAdapterSettings = {};
  if (d.r !== undefined) {
    out.r = a.r ?? d.r;
    out.alpha = a.alpha ?? 2 * out.r;
  }
  if (d.blockSize !== undefined) out.blockSize = a.blockSize ?? d.blockSize;
  if (d.gate !== undefined) out.gate = a.gate ?? d.gate;
  if (d.gradientBatches !== undefined) out.gradientSamples = a.gradientSamples ?? d.gradientBatches * batchSize;
  return out;
}

async function loadBase(
  o: ResolvedRunOptions,
  seed: number,
): Promise<{ model: TransformerModel; tokenizer: HfTokenizer }> {
  const { model: lm, tokenizerPath } = await loadModelWithTokenizer(o.baseDir);
  if (!tokenizerPath) {
    lm.dispose();
    throw new Error(`runMethod: ${o.baseDir} has no tokenizer.json`);
  }
  const tokenizer = await loadTokenizer(tokenizerPath);
  if (o.scoring === "lm") return { model: lm, tokenizer };
  const model = withClassificationHead(lm, 2, seed);
  lm.dispose();
  return { model, tokenizer };
}

async function evaluate(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  o: ResolvedRunOptions,
  dev: ReturnType<typeof loadGlue>,
  devLossBatches: () => GlueBatch[],
) {
  const scorer = labelScorerFor(model, tokenizer, GLUE_VERBALIZERS[o.task], {
    mode: o.scoring,
    maxLength: o.seqLen,
    pooling: o.pooling,
  });
  const r = await evaluateGlue(o.task, scorer, { examples: dev, batchSize: 32 });
  const metrics: Record<string, number> = {
    ...(r.metrics as Record<string, number>),
    devLoss: meanGlueLoss(model, devLossBatches(), o.pooling),
  };
  return { metrics, primary: r.primary as string };
}

/** Adapter groups plus the new classification head (trained with the adapter, as PEFT's modules_to_save). */
function withHead(att: Attachment, model: TransformerModel, scoring: ScoringMode): Trainable {
  const score = model.namedParameters().get("score.weight");
  const extra: ParameterGroup[] =
    scoring === "head" && score ? [{ layer: "score", branch: "head", variables: [score] }] : [];
  return {
    groups: () => [...att.groups(), ...extra],
    onGradients: (grads, step, norms) => att.onGradients(grads, step, norms),
    gateRecords: () => att.gateRecords,
    // λ, the dropout counter and LoRA-GA's initial factors, so a resumed run continues as the uninterrupted one would
    checkpointState: () => att.checkpointState(),
    checkpointTensors: () => att.checkpointTensors(),
    restoreCheckpointState: (state, context) => att.restoreCheckpointState(state, context),
  };
}

export async function runMethod(options: RunMethodOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const o = resolveRunOptions(options);
  const { seed, seqLen, scoring, pooling } = o;
  const { evaluation, training } = runExamples(o.task, o.evalSplit, o.dataDir);
  const dev = subsample(evaluation, o.evalLimit, seed);
  const devLossExamples = subsample(dev, o.evalLossLimit, seed + 1);
  const { model, tokenizer } = await loadBase(o, seed);
  const devLossBatches = (): GlueBatch[] => {
    const src = glueBatches(o.task, tokenizer, {
      examples: devLossExamples,
      seqLen,
      batchSize: divisorUpTo(devLossExamples.length, 16),
      seed,
      mode: scoring,
      shuffle: false,
    });
    return Array.from({ length: src.batchesPerEpoch }, () => src.next());
  };
  let att: Attachment | null = null;
  try {
    const base = o.evaluateBase ? await evaluate(model, tokenizer, o, dev, devLossBatches) : null;
    if (o.method === "base") {
      const empty = (metric: string): RunCurve => ({ run: "base", metric, seed, steps: [], values: [] });
      return {
        method: "base",
        task: o.task,
        seed,
        steps: 0,
        metrics: base!.metrics,
        primary: base!.primary,
        baseMetrics: base!.metrics,
        resources: null,
        lossCurve: empty("loss"),
        evalCurve: empty("devLoss"),
        gradNorms: [],
        gates: [],
      };
    }
    // Every training field is set for a trained method (resolveRunOptions).
    const steps = o.steps as number;
    const batchSize = o.batchSize as number;
    const trainSource = training ? { examples: training } : { split: "train" as const };
    const data = glueBatches(o.task, tokenizer, {
      ...trainSource,
      limit: o.trainLimit ?? undefined,
      seqLen,
      batchSize,
      seed,
      mode: scoring,
      dir: o.dataDir,
    });
    let trainable: Trainable;
    if (o.method === "full") trainable = fullFineTuning(model);
    else {
      const { gradientSamples, ...settings } = o.adapter ?? {};
      const opts = { ...settings, method: o.method, targets: o.targets as TargetSpec, seed } as AttachOptions;
      if (adapterMethod(o.method).gradientInit) {
        // LoRA-GA's gradient estimate on the untuned model, from a separately seeded stream of training batches.
        const est = glueBatches(o.task, tokenizer, {
          ...trainSource,
          limit: o.trainLimit ?? undefined,
          seqLen,
          batchSize,
          seed: seed + 7919,
          mode: scoring,
          dir: o.dataDir,
        });
        const samples = gradientSamples as number;
        const batches = Array.from({ length: Math.ceil(samples / batchSize) }, () => est.next());
        try {
          att = attach(model, {
            ...opts,
            estimate: {
              loss: (b: GlueBatch) => glueLoss(model, b, pooling),
              batches,
              samples,
              count: (b: GlueBatch) => b.labels.shape[0],
            },
          } as AttachOptions);
        } finally {
          tf.dispose(batches as unknown as tf.TensorContainer);
        }
      } else att = attach(model, opts);
      trainable = withHead(att, model, scoring);
    }
    const ck = hooks.checkpoint;
    const result = await train<GlueBatch>({
      trainable,
      loss: (b) => glueLoss(model, b, pooling),
      data,
      steps,
      optimizer: { kind: "adamw", lr: o.lr as number, weightDecay: 0 },
      schedule: { kind: "linear", warmupSteps: o.warmupSteps as number },
      clip: o.clip as number,
      evalEvery: o.evalEvery as number,
      evaluate: () => {
        att?.eval();
        const devLoss = meanGlueLoss(model, devLossBatches(), pooling);
        att?.train();
        return { devLoss };
      },
      seed,
      progress: o.progress ? { label: `${o.method} on ${o.task} (seed ${seed})` } : false,
      name: o.method,
      countTokens: (b) => b.inputIds.size,
      ...(ck ? { checkpoint: ck, resume: (await listCheckpoints(ck.dir)).length > 0 } : {}),
      ...(hooks.onStep ? { callbacks: { onStep: hooks.onStep } } : {}),
    });
    att?.eval();
    await hooks.onTrained?.({ attachment: att, ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}) });
    const final = await evaluate(model, tokenizer, o, dev, devLossBatches);
    const evalCurve = result.evalCurves.find((c) => c.metric === "devLoss");
    return {
      method: o.method,
      task: o.task,
      seed,
      steps: result.steps,
      metrics: final.metrics,
      primary: final.primary,
      ...(base ? { baseMetrics: base.metrics } : {}),
      resources: result.resources,
      lossCurve: { ...result.lossCurve, seed },
      evalCurve: evalCurve ? { ...evalCurve, seed } : { run: o.method, metric: "devLoss", seed, steps: [], values: [] },
      gradNorms: result.gradNorms,
      gates: result.gates,
    };
  } finally {
    att?.detach();
    model.dispose();
  }
}

// One fine-tuning run as the reproduction notebooks call it: load the base model fresh, attach
// a method (or train every weight), train with lib/train on a GLUE task or GSM8K, evaluate with
// lib/eval (the task's half lives in glue-run.ts / gsm8k-run.ts). The tuned model can be kept
// (hooks.keepModel) and saved in PEFT-format files (hooks.saveTo, tuned-model.ts).
import * as tf from "@tensorflow/tfjs";
import { attach, type AttachOptions, type Attachment, type GatePolicy, type TargetSpec } from "../adapters/index.js";
import { adapterMethod } from "../adapters/registry.js";
import { judgeFromEnv } from "../eval/judge.js";
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
import { glueTaskRun } from "./glue-run.js";
import type { GenerativeSamples } from "./generative-eval.js";
import { gsm8kTaskRun } from "./gsm8k-run.js";
import { checkPooling, type Pooling } from "./pooling.js";
import { DEFAULT_LR, defaultLr, RUN_METHODS, type MethodName } from "./methods.js";
import type { ScoringMode } from "./scoring.js";
import type { TaskRun } from "./task-run.js";
import { isGenerativeTask, RUN_TASKS, type RunTask } from "./tasks.js";
import { tunedModel, type TunedModel } from "./tuned-model.js";
import type { EvalSplit } from "./validation-split.js";

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

/** What a GSM8K run generates after training (its GSM8K test problems are `evalLimit`). */
export interface GenerationSettings {
  /** HumanEval tasks run in the sandbox; default 0 (left out). */
  humaneval?: number;
  /** MT-Bench questions, judged when PEFT_JUDGE_BASE_URL and PEFT_JUDGE_MODEL are set; default 0. */
  mtbench?: number;
  /** New tokens per answer; default 256. */
  maxTokens?: number;
}

export interface RunMethodOptions {
  /** A Hugging Face model folder with tokenizer.json (e.g. from ensureBaseModel). */
  baseDir: string;
  method: MethodName;
  /** A GLUE task, or "gsm8k": fine-tune on GSM8K train, evaluate the generative benchmarks. */
  task: RunTask;
  seed?: number;
  steps: number;
  lr?: number;
  batchSize?: number;
  /** Tokens per training/scoring row; default 64. */
  seqLen?: number;
  /** Training examples (seeded subsample of the train split); default all. */
  trainLimit?: number;
  /** Dev examples for the final metrics (GSM8K: test problems); default 200. */
  evalLimit?: number;
  /** Dev-loss evaluation every N steps (the eval curve); default max(1, steps / 4). */
  evalEvery?: number;
  /** Dev examples in the eval curve's loss; default 64. */
  evalLossLimit?: number;
  /** GSM8K runs only: the benchmarks generated after training. */
  generation?: GenerationSettings;
  /** GLUE only ("gsm8k" is always "lm"). "head" (default): a new classification head trained with every method (PEFT's modules_to_save); "lm": verbalised labels scored by the LM head, nothing added. */
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
   * held-out part of train that training then never sees (for sweeps that must not read dev). GLUE only.
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
  /** After training, before the final evaluation: the tuned attachment (null for full fine-tuning), the tuned model (valid during the call) and the checkpoint training resumed from. */
  onTrained?(info: { attachment: Attachment | null; tuned: TunedModel; resumedFrom?: string }): void | Promise<void>;
  /** Write the tuned adapter (or, for full fine-tuning, the model) here in PEFT-format files (TunedModel.save). */
  saveTo?: string;
  /** Return the tuned model (`tuned`) instead of disposing it; the caller disposes it. */
  keepModel?: boolean;
}

export interface RunResult {
  method: MethodName;
  task: RunTask;
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
  /** Why a metric is missing (e.g. MT-Bench without a judge, HumanEval's sandbox); GSM8K runs. */
  notes?: Record<string, string>;
  /** What the evaluated model wrote (MT-Bench's answers); GSM8K runs with an MT-Bench budget. */
  samples?: GenerativeSamples;
  /** The tuned model, with hooks.keepModel only (dispose it). */
  tuned?: TunedModel;
}

function checkOptions(o: RunMethodOptions): void {
  if (!RUN_METHODS.includes(o.method))
    throw new Error(`runMethod: unknown method ${JSON.stringify(o.method)}; expected one of ${RUN_METHODS.join(", ")}`);
  if (!RUN_TASKS.includes(o.task))
    throw new Error(`runMethod: unknown task ${JSON.stringify(o.task)}; expected one of ${RUN_TASKS.join(", ")}`);
  if (isGenerativeTask(o.task) && o.scoring === "head")
    throw new Error(`runMethod: task ${o.task} is generated by the LM head; scoring "head" applies to GLUE tasks only`);
  if (!isGenerativeTask(o.task) && o.generation !== undefined)
    throw new Error(`runMethod: generation settings apply to task gsm8k only, found them for ${o.task}`);
  if (isGenerativeTask(o.task) && o.evalSplit === "validation")
    throw new Error(
      `runMethod: evalSplit "validation" is carved from GLUE train; task ${o.task} evaluates on its test split`,
    );
  for (const [k, v] of Object.entries(o.generation ?? {}))
    if (!Number.isInteger(v) || v < (k === "maxTokens" ? 1 : 0))
      throw new Error(`runMethod: generation.${k} must be an integer >= ${k === "maxTokens" ? 1 : 0}, found ${v}`);
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
  task: RunTask;
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
  /** GSM8K runs: every benchmark's budget; null for GLUE. */
  generation: Required<GenerationSettings> | null;
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
    generation: isGenerativeTask(o.task)
      ? {
          humaneval: o.generation?.humaneval ?? 0,
          mtbench: o.generation?.mtbench ?? 0,
          maxTokens: o.generation?.maxTokens ?? 256,
        }
      : null,
    scoring: isGenerativeTask(o.task) ? ("lm" as const) : (o.scoring ?? "head"),
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
    // GSM8K trains the LM head like "lm" label scoring, so it takes that sweep's rates.
    lr: o.lr ?? (isGenerativeTask(o.task) ? defaultLr(o.method, "lm") : DEFAULT_LR[o.method]),
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
): Promise<{ model: TransformerModel; tokenizer: HfTokenizer; tokenizerPath: string }> {
  const { model: lm, tokenizerPath } = await loadModelWithTokenizer(o.baseDir);
  if (!tokenizerPath) {
    lm.dispose();
    throw new Error(`runMethod: ${o.baseDir} has no tokenizer.json`);
  }
  const tokenizer = await loadTokenizer(tokenizerPath);
  if (o.scoring === "lm") return { model: lm, tokenizer, tokenizerPath };
  const model = withClassificationHead(lm, 2, seed);
  lm.dispose();
  return { model, tokenizer, tokenizerPath };
}

/** What runMethod itself reads of a batch; only the task's own loss looks inside. */
type Batch = { inputIds: tf.Tensor2D };

/**
 * The task's half of the run (its batches, loss, dev loss and metrics) for this model. The casts
 * widen the batch type: a task's loss only ever receives the batches its own stream made.
 */
function taskRunFor(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  o: ResolvedRunOptions,
): TaskRun<Batch> & { notes?: Record<string, string>; samples?: GenerativeSamples } {
  const { task } = o;
  if (isGenerativeTask(task)) {
    const judge = (o.generation?.mtbench ?? 0) > 0 ? (judgeFromEnv() ?? null) : null;
    return gsm8kTaskRun(model, tokenizer, {
      ...o,
      generation: o.generation as Required<GenerationSettings>,
      judge,
    }) as TaskRun<Batch>;
  }
  return glueTaskRun(model, tokenizer, { ...o, task }) as unknown as TaskRun<Batch>;
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

/** attach() with the run's settings; LoRA-GA (and the hybrid) estimate gradients on the untuned model first. */
function attachMethod(model: TransformerModel, o: ResolvedRunOptions, task: TaskRun<Batch>): Attachment {
  const { gradientSamples, ...settings } = o.adapter ?? {};
  const opts = { ...settings, method: o.method, targets: o.targets as TargetSpec, seed: o.seed } as AttachOptions;
  if (!adapterMethod(o.method as Exclude<MethodName, "base" | "full">).gradientInit) return attach(model, opts);
  // The estimate reads a separately seeded stream of training batches.
  const est = task.batches(o.seed + 7919);
  const batchSize = o.batchSize as number;
  const samples = gradientSamples as number;
  const batches = Array.from({ length: Math.ceil(samples / batchSize) }, () => est.next());
  try {
    return attach(model, {
      ...opts,
      estimate: { loss: (b: Batch) => task.loss(b), batches, samples, count: (b: Batch) => b.inputIds.shape[0] },
    } as AttachOptions);
  } finally {
    tf.dispose(batches as unknown as tf.TensorContainer);
  }
}

export async function runMethod(
  options: RunMethodOptions,
  hooks: RunHooks & { keepModel: true },
): Promise<RunResult & { tuned: TunedModel }>;
export async function runMethod(options: RunMethodOptions, hooks?: RunHooks): Promise<RunResult>;
export async function runMethod(options: RunMethodOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const o = resolveRunOptions(options);
  const { seed } = o;
  const { model, tokenizer, tokenizerPath } = await loadBase(o, seed);
  let att: Attachment | null = null;
  let kept = false;
  try {
    const task = taskRunFor(model, tokenizer, o);
    const notes = () => ({
      ...(task.notes && Object.keys(task.notes).length > 0 ? { notes: { ...task.notes } } : {}),
      ...(task.samples && Object.keys(task.samples).length > 0 ? { samples: { ...task.samples } } : {}),
    });
    const base = o.evaluateBase ? await task.evaluate() : null;
    if (o.method === "base") {
      const empty = (metric: string): RunCurve => ({ run: "base", metric, seed, steps: [], values: [] });
      kept = hooks.keepModel === true;
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
        ...notes(),
        ...(kept
          ? {
              tuned: tunedModel({
                method: "base",
                model,
                tokenizer,
                tokenizerPath,
                attachment: null,
                scoring: o.scoring,
              }),
            }
          : {}),
      };
    }
    // Every training field is set for a trained method (resolveRunOptions).
    const steps = o.steps as number;
    let trainable: Trainable;
    if (o.method === "full") trainable = fullFineTuning(model);
    else {
      att = attachMethod(model, o, task);
      trainable = withHead(att, model, o.scoring);
    }
    const ck = hooks.checkpoint;
    const result = await train<Batch>({
      trainable,
      loss: (b) => task.loss(b),
      data: task.batches(seed),
      steps,
      optimizer: { kind: "adamw", lr: o.lr as number, weightDecay: 0 },
      schedule: { kind: "linear", warmupSteps: o.warmupSteps as number },
      clip: o.clip as number,
      evalEvery: o.evalEvery as number,
      evaluate: () => {
        att?.eval();
        const devLoss = task.devLoss();
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
    const tuned = tunedModel({
      method: o.method,
      model,
      tokenizer,
      tokenizerPath,
      attachment: att,
      scoring: o.scoring,
    });
    await hooks.onTrained?.({
      attachment: att,
      tuned,
      ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}),
    });
    if (hooks.saveTo) await tuned.save(hooks.saveTo);
    const final = await task.evaluate();
    const evalCurve = result.evalCurves.find((c) => c.metric === "devLoss");
    kept = hooks.keepModel === true;
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
      ...notes(),
      ...(kept ? { tuned } : {}),
    };
  } finally {
    if (!kept) {
      att?.detach();
      model.dispose();
    }
  }
}

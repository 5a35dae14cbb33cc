// The training loop shared by full fine-tuning and every adapter: the same step (grads over
// the trainable set only, onGradients hook, per-group norms, clip, optimiser) whatever the
// method, so comparisons between methods measure the methods and not the loops.
import * as tf from "@tensorflow/tfjs";
import { progressBar, type ProgressBar } from "../display/index.js";
import type { ParameterGroup, TrainableSet } from "../nn/module.js";
import { liveDashboard, type DashboardRecord } from "../plots/dashboard.js";
import type { GateRecord, GradNormRecord, RunCurve } from "../records/types.js";
import type { TensorToWrite } from "../io/safetensors.js";
import {
  loadLatestCheckpoint,
  saveCheckpoint,
  type CheckpointPhase,
  type TrainerState,
} from "./training-checkpoint.js";
import { clipCoefficient } from "./clip.js";
import type { BatchSource } from "./data.js";
import { gradNormRecords } from "./gradnorm.js";
import { createOptimizer, type Optimizer, type OptimizerSpec, type ParamGrad } from "./optim.js";
import { planDifferences, trainPlan } from "./plan.js";
import { ResourceMeter, countRegisteredVariables, countTrainable, type ResourceReport } from "./resources.js";
import { Rng } from "../random/rng.js";
import { lrMultiplier, type Schedule } from "./schedule.js";

/** What the trainer hands restoreCheckpointState besides the JSON state. */
export interface RestoreContext {
  /** checkpointTensors() as saved (empty for a checkpoint written before they existed). */
  tensors: Map<string, TensorToWrite>;
  /** The checkpoint folder, for messages. */
  path: string;
  warn: (message: string) => void;
}

/**
 * A trainable set, optionally with the hybrid's gate history (an array, as Attachment keeps it,
 * or a function) and extra state a checkpoint must carry for an exact resume: JSON (e.g. gate λ
 * values, a dropout counter, digests of the frozen weights) and tensors that are not variables
 * (e.g. LoRA-GA's gradient-derived B₀, A₀).
 */
export type Trainable = TrainableSet & {
  gateRecords?: readonly GateRecord[] | (() => readonly GateRecord[]);
  checkpointState?(): Record<string, unknown>;
  checkpointTensors?(): Map<string, TensorToWrite>;
  /** Checks the state fits before changing anything; throws with a message naming what differs. */
  restoreCheckpointState?(state: Record<string, unknown>, context: RestoreContext): void;
};

function gateRecordsOf(t: Trainable): GateRecord[] {
  const g = typeof t.gateRecords === "function" ? t.gateRecords() : t.gateRecords;
  return g ? [...g] : [];
}

export interface StepContext {
  /** The optimiser step being computed (1-based). */
  step: number;
  /** Micro-batch index within the step (0-based; > 0 only with accumulation). */
  micro: number;
  /** Seeded generator for dropout and the like; its state is checkpointed. */
  rng: Rng;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  tokens: number;
  stepMs: number;
  tokensPerSec: number;
}

export type EvalMetrics = Record<string, number>;

/** Where live loss and gradient-norm records go; lib/plots' liveDashboard() is one. */
export interface DashboardSink {
  push(records: readonly DashboardRecord[]): void;
  close(): void;
}

export interface TrainOptions<B> {
  trainable: Trainable;
  /** Mean loss of one (micro-)batch; called inside tf.variableGrads. */
  loss: (batch: B, ctx: StepContext) => tf.Scalar;
  data: BatchSource<B>;
  /** Optimiser steps; or give `epochs` with a source that knows batchesPerEpoch. */
  steps?: number;
  epochs?: number;
  optimizer: OptimizerSpec | Optimizer;
  /** Default constant. */
  schedule?: Schedule;
  /** Max global gradient norm; no clipping when absent. */
  clip?: number;
  /** Micro-batches averaged per optimiser step (default 1). */
  accumulation?: number;
  evalEvery?: number;
  evaluate?: (step: number) => EvalMetrics | Promise<EvalMetrics>;
  callbacks?: {
    onStep?(info: StepInfo): void | Promise<void>;
    onEval?(step: number, metrics: EvalMetrics): void | Promise<void>;
  };
  /**
   * Checkpoint every `every` steps (and at the end) into `dir`, keeping the newest `keepLast`
   * (default 3); `onPhase` is told each stage of a write (fault-injection tests stop there).
   */
  checkpoint?: {
    dir: string;
    every: number;
    keepLast?: number;
    onPhase?: (p: CheckpointPhase) => void | Promise<void>;
  };
  /** Continue from the newest good checkpoint in checkpoint.dir (from scratch when there is none). */
  resume?: boolean;
  /**
   * Resume even when total steps, schedule, optimiser, accumulation or clipping differ from the
   * checkpointed run's (default false: refused, since the remaining steps would not be the run's).
   */
  allowPlanChange?: boolean;
  /** Seed of the step RNG (StepContext.rng); default 0. */
  seed?: number;
  /** Progress bar on the current display sink; default true. */
  progress?: boolean | { label?: string };
  /** Live dashboard of loss and per-layer gradient norms redrawn in place: true for lib/plots' liveDashboard, or your own sink. */
  dashboard?: boolean | DashboardSink;
  /** Tokens in a batch for tokens/s; default: size of the first int32 tensor, else its first dimension. */
  countTokens?: (batch: B) => number;
  /**
   * Peak tensor memory: "exact" watches every kernel of forward and backward through tf.profile
   * (the peak is inside backward, where activations and gradients coexist); "sampled" only looks
   * after the forward and the backward pass (can miss half the peak); "auto" (default) profiles
   * the first steps of the run, whose peak repeats in later steps of the same shapes, then samples.
   */
  memory?: "auto" | "exact" | "sampled";
  /** Dispose the tensors in each batch after use (default true). */
  disposeBatches?: boolean;
  /** Stop cleanly after the current step when aborted. */
  signal?: AbortSignal;
  /** Run name used in curves; default "train". */
  name?: string;
  warn?: (message: string) => void;
}

export interface TrainResult {
  /** Optimiser steps completed, including those before a resume. */
  steps: number;
  stopped: boolean;
  /** Training loss per step (index i is step i+1). */
  losses: number[];
  lrs: number[];
  lossCurve: RunCurve;
  evals: Array<{ step: number; metrics: EvalMetrics }>;
  evalCurves: RunCurve[];
  gradNorms: GradNormRecord[];
  gates: GateRecord[];
  resources: ResourceReport;
  resumedFrom?: string;
  lastCheckpoint?: string;
}

/** Steps profiled exactly in "auto" memory mode: profiling costs time on every kernel. */
const PROFILED_STEPS = 2;

interface Param {
  key: string;
  variable: tf.Variable;
}

/** Checkpoint keys: stable across processes, unlike auto-generated tf.Variable names. */
function flattenGroups(groups: ParameterGroup[]): Param[] {
  const out: Param[] = [];
  const seen = new Set<tf.Variable>();
  for (const g of groups) {
    g.variables.forEach((variable, i) => {
      if (seen.has(variable))
        throw new Error(
          `trainable: variable '${variable.name}' appears in more than one group (second: ${g.layer}/${g.branch})`,
        );
      seen.add(variable);
      if (variable.dtype !== "float32")
        throw new Error(
          `trainable: ${g.layer}/${g.branch} variable ${i} has dtype ${variable.dtype}, expected float32`,
        );
      out.push({ key: `${g.layer}/${g.branch}/${i}`, variable });
    });
  }
  if (out.length === 0) throw new Error("trainable: the set has no variables");
  return out;
}

function defaultTokens(batch: unknown): number {
  const first = (x: unknown): tf.Tensor | null => {
    if (x instanceof tf.Tensor) return x;
    if (Array.isArray(x))
      for (const v of x) {
        const t = first(v);
        if (t) return t;
      }
    else if (x && typeof x === "object")
      for (const v of Object.values(x)) {
        const t = first(v);
        if (t) return t;
      }
    return null;
  };
  const t = first(batch);
  if (!t) return 0;
  return t.dtype === "int32" ? t.size : (t.shape[0] ?? 1);
}

function totalSteps<B>(o: TrainOptions<B>, accumulation: number): number {
  if (o.steps !== undefined) {
    if (!Number.isInteger(o.steps) || o.steps <= 0)
      throw new Error(`train.steps: expected a positive integer, found ${o.steps}`);
    return o.steps;
  }
  if (o.epochs !== undefined) {
    const per = o.data.batchesPerEpoch;
    if (!per) throw new Error("train.epochs: the data source does not report batchesPerEpoch; give `steps` instead");
    const n = Math.floor((o.epochs * per) / accumulation);
    if (n <= 0)
      throw new Error(
        `train.epochs: ${o.epochs} epoch(s) of ${per} batches make no step of ${accumulation} micro-batches`,
      );
    return n;
  }
  throw new Error("train: give `steps` or `epochs`");
}

function curve(run: string, metric: string, values: number[], steps?: number[]): RunCurve {
  return { run, metric, steps: steps ?? values.map((_, i) => i + 1), values };
}

/** Trains `trainable` and returns its curves, gradient-norm records and resource report. */
export async function train<B>(o: TrainOptions<B>): Promise<TrainResult> {
  const warn = o.warn ?? ((m: string) => console.warn(m));
  const accumulation = o.accumulation ?? 1;
  if (!Number.isInteger(accumulation) || accumulation < 1)
    throw new Error(`train.accumulation: expected a positive integer, found ${accumulation}`);
  if (o.clip !== undefined && !(o.clip > 0))
    throw new Error(`train.clip: expected a positive max norm, found ${o.clip}`);
  if (o.checkpoint && !(Number.isInteger(o.checkpoint.every) && o.checkpoint.every > 0)) {
    throw new Error(`train.checkpoint.every: expected a positive integer, found ${o.checkpoint.every}`);
  }
  if (o.evalEvery !== undefined && !o.evaluate)
    throw new Error("train.evalEvery is set but no `evaluate` callback was given");
  const total = totalSteps(o, accumulation);
  const schedule = o.schedule ?? { kind: "constant" };
  const groups = o.trainable.groups();
  const params = flattenGroups(groups);
  const vars = params.map((p) => p.variable);
  const optimizer = createOptimizer(o.optimizer);
  const rng = new Rng(o.seed ?? 0);
  const run = o.name ?? "train";
  const plan = trainPlan(total, schedule, o.optimizer, accumulation, o.clip);

  let state: TrainerState = {
    step: 0,
    rngState: rng.state,
    data: o.data.position(),
    optimizer: { name: optimizer.name, scalars: {} },
    losses: [],
    lrs: [],
    evals: [],
    gradNorms: [],
    gates: [],
    tokens: 0,
  };
  let resumedFrom: string | undefined;
  try {
    resumedFrom = await restore();
  } catch (e) {
    optimizer.dispose();
    throw e;
  }

  async function restore(): Promise<string | undefined> {
    if (!o.resume) return undefined;
    if (!o.checkpoint) throw new Error("train.resume needs checkpoint.dir to resume from");
    const ck = await loadLatestCheckpoint(o.checkpoint.dir, warn);
    if (!ck) {
      warn(`resume: no good checkpoint in ${o.checkpoint.dir}; starting from step 0`);
      return undefined;
    }
    if (ck.state.optimizer.name !== optimizer.name) {
      throw new Error(
        `resume ${ck.path}: checkpoint optimiser is ${ck.state.optimizer.name}, this run uses ${optimizer.name}`,
      );
    }
    for (const { key, variable } of params) {
      const t = ck.trainable.get(key);
      if (!t)
        throw new Error(
          `resume ${ck.path}/trainable.safetensors: no tensor '${key}' (the trainable set differs from the checkpointed run)`,
        );
      if (t.shape.join(",") !== variable.shape.join(",")) {
        throw new Error(
          `resume ${ck.path}/trainable.safetensors: tensor '${key}' has shape [${t.shape.join(", ")}], the live parameter [${variable.shape.join(", ")}]`,
        );
      }
    }
    if (ck.state.plan) {
      const diff = planDifferences(ck.state.plan, plan);
      if (diff.length && !o.allowPlanChange)
        throw new Error(
          `resume ${ck.path}: this run's plan differs from the checkpointed run's, so the remaining steps would not be that run's:\n  ${diff.join("\n  ")}\nPass allowPlanChange: true to continue under the new plan.`,
        );
      if (diff.length) warn(`resume ${ck.path}: continuing under a changed plan (${diff.join("; ")})`);
    } else
      warn(
        `resume ${ck.path}: the checkpoint records no training plan (written before version 2); a changed total or schedule cannot be detected`,
      );
    // The trainable's own state first: it validates everything before changing anything.
    if (ck.state.extra) {
      if (o.trainable.restoreCheckpointState)
        o.trainable.restoreCheckpointState(ck.state.extra, {
          tensors: ck.trainableState ?? new Map(),
          path: ck.path,
          warn,
        });
      else
        warn(
          `resume ${ck.path}: the checkpoint holds trainable state (${Object.keys(ck.state.extra).join(", ")}) this trainable set cannot restore; the run may diverge from the original`,
        );
    } else if (ck.state.gates.length > 0 && !o.trainable.restoreCheckpointState) {
      // A gate with memory (e.g. an EMA of λ) restarts from its initial value.
      warn(
        `resume ${ck.path}: the trainable set reports gate values but has no restoreCheckpointState(); its gates restart from their initial state and the run may diverge from the original`,
      );
    }
    optimizer.setState(
      { scalars: ck.state.optimizer.scalars, tensors: ck.optimizer },
      new Map(params.map((p) => [p.key, p.variable.shape])),
    );
    for (const { key, variable } of params) {
      const t = ck.trainable.get(key)!;
      tf.tidy(() => variable.assign(tf.tensor(t.data, t.shape, "float32")));
    }
    o.data.seek(ck.state.data);
    rng.state = ck.state.rngState;
    state = { ...ck.state, plan };
    return ck.path;
  }

  const meter = new ResourceMeter({
    trainableParams: countTrainable(o.trainable),
    totalParams: countRegisteredVariables(),
  });
  const countTokens = o.countTokens ?? defaultTokens;
  const memoryMode = o.memory ?? "auto";
  const firstStep = state.step + 1;
  const progressOpt = o.progress ?? true;
  let bar: ProgressBar | null = null;
  if (progressOpt && state.step < total) {
    bar = progressBar({ total, label: typeof progressOpt === "object" && progressOpt.label ? progressOpt.label : run });
    bar.update(state.step);
  }
  // A trainable reused in-process may still hold records of the steps being replayed.
  const resumedStep = state.step;
  const liveGates = () => gateRecordsOf(o.trainable).filter((g) => g.step > resumedStep);
  const gatesNow = (): GateRecord[] => [...baseGates, ...liveGates()];
  const baseGates = state.gates;
  const dashboard: DashboardSink | null = o.dashboard === true ? liveDashboard({ title: run }) : o.dashboard || null;
  if (dashboard && state.step > 0) {
    dashboard.push([...state.losses.map((loss, i) => ({ step: i + 1, loss })), ...state.gradNorms]);
  }
  let lastCheckpoint: string | undefined;
  let stopped = false;
  // The set is what the user asked to train, whatever flag the model created it with.
  const flags = vars.map((v) => v.trainable);
  for (const v of vars) v.trainable = true;

  try {
    for (let step = state.step + 1; step <= total; step++) {
      const lr = optimizer.lr * lrMultiplier(schedule, step - 1, total);
      meter.startStep();
      let lossSum = 0;
      let tokens = 0;
      let grads: tf.Tensor[] = [];
      for (let micro = 0; micro < accumulation; micro++) {
        const batch = o.data.next();
        tokens += countTokens(batch);
        const ctx: StepContext = { step, micro, rng };
        const { value, grads: named } = await meter.within(
          memoryMode === "exact" || (memoryMode === "auto" && step - firstStep < PROFILED_STEPS),
          () =>
            tf.variableGrads(() => {
              const l = o.loss(batch, ctx);
              if (!(l instanceof tf.Tensor) || l.rank !== 0)
                throw new Error(
                  `train.loss must return a scalar tensor, found ${l instanceof tf.Tensor ? `rank ${l.rank}` : typeof l}`,
                );
              meter.sample();
              return l;
            }, vars),
        );
        meter.sample();
        const lossValue = (await value.data())[0] as number;
        value.dispose();
        if ((o.disposeBatches ?? true) && batch) tf.dispose(batch as unknown as tf.TensorContainer);
        if (!Number.isFinite(lossValue)) {
          tf.dispose(Object.values(named).filter((g): g is tf.Tensor => g != null));
          tf.dispose(grads);
          throw new Error(
            `train: loss is ${lossValue} at step ${step} (micro-batch ${micro})${lastCheckpoint ? `; last checkpoint ${lastCheckpoint}` : ""}`,
          );
        }
        lossSum += lossValue;
        // A variable the loss does not reach gets a zero gradient, as torch leaves .grad None and skips nothing else.
        const list = vars.map((v) => named[v.name] ?? tf.zerosLike(v));
        if (micro === 0) grads = list;
        else {
          const summed = grads.map((g, i) => tf.add(g, list[i] as tf.Tensor));
          tf.dispose(grads);
          tf.dispose(list);
          grads = summed;
        }
      }
      if (accumulation > 1) {
        const mean = grads.map((g) => tf.div(g, accumulation));
        tf.dispose(grads);
        grads = mean;
      }
      // Computed once: the records, the clip and the trainable set's hook all read these norms.
      const norms = gradNormRecords(groups, grads, step);
      if (o.trainable.onGradients) {
        const byName: Record<string, tf.Tensor> = {};
        vars.forEach((v, i) => {
          byName[v.name] = grads[i] as tf.Tensor;
        });
        o.trainable.onGradients(byName, step, norms.records);
      }
      for (const r of norms.records) state.gradNorms.push(r);
      const coef = o.clip !== undefined ? clipCoefficient(norms.total, o.clip) : 1;
      const used = coef < 1 ? grads.map((g) => tf.mul(g, coef)) : grads;
      meter.sample();
      optimizer.apply(
        params.map((p, i): ParamGrad => ({ key: p.key, variable: p.variable, grad: used[i] as tf.Tensor })),
        lr,
      );
      meter.sample();
      if (used !== grads) tf.dispose(used);
      tf.dispose(grads);
      const stepMs = meter.endStep(tokens);

      const loss = lossSum / accumulation;
      state.losses.push(loss);
      state.lrs.push(lr);
      state.tokens += tokens;
      state.step = step;
      state.rngState = rng.state;
      state.data = o.data.position();
      dashboard?.push([{ step, loss }, ...norms.records]);

      if (o.evaluate && ((o.evalEvery && step % o.evalEvery === 0) || step === total)) {
        const metrics = await o.evaluate(step);
        state.evals.push({ step, metrics });
        // Only loss-like metrics share the dashboard's loss axis.
        dashboard?.push(
          Object.entries(metrics)
            .filter(([k]) => /loss/i.test(k))
            .map(([metric, loss]) => ({ step, loss, metric })),
        );
        await o.callbacks?.onEval?.(step, metrics);
      }
      if (o.checkpoint && (step % o.checkpoint.every === 0 || step === total)) {
        const opt = await optimizer.getState();
        const trainableHost = new Map<string, { shape: number[]; data: Float32Array }>();
        for (const p of params)
          trainableHost.set(p.key, {
            shape: p.variable.shape.slice(),
            data: (await p.variable.data()) as Float32Array,
          });
        state.optimizer = { name: optimizer.name, scalars: opt.scalars };
        state.extra = o.trainable.checkpointState?.();
        state.plan = plan;
        lastCheckpoint = await saveCheckpoint(
          o.checkpoint.dir,
          {
            trainable: trainableHost,
            optimizer: opt.tensors,
            state: { ...state, gates: gatesNow() },
            trainableState: o.trainable.checkpointTensors?.(),
          },
          { keepLast: o.checkpoint.keepLast ?? 3, onPhase: o.checkpoint.onPhase, warn },
        );
      }
      const info: StepInfo = {
        step,
        totalSteps: total,
        loss,
        lr,
        gradNorm: norms.total,
        tokens,
        stepMs,
        tokensPerSec: meter.throughput(),
      };
      bar?.update(step, { loss, "tok/s": Math.round(info.tokensPerSec) });
      await o.callbacks?.onStep?.(info);
      if (o.signal?.aborted && step < total) {
        stopped = true;
        break;
      }
    }
  } finally {
    vars.forEach((v, i) => {
      v.trainable = flags[i] as boolean;
    });
    bar?.close();
    dashboard?.close();
    optimizer.dispose();
  }

  const evalNames = [...new Set(state.evals.flatMap((e) => Object.keys(e.metrics)))];
  const evalCurves = evalNames.map((m) => {
    const pts = state.evals.filter((e) => m in e.metrics);
    return curve(
      run,
      m,
      pts.map((e) => e.metrics[m] as number),
      pts.map((e) => e.step),
    );
  });
  return {
    steps: state.step,
    stopped,
    losses: state.losses,
    lrs: state.lrs,
    lossCurve: curve(run, "loss", state.losses),
    evals: state.evals,
    evalCurves,
    gradNorms: state.gradNorms,
    gates: gatesNow(),
    resources: meter.report(),
    resumedFrom,
    lastCheckpoint,
  };
}

/** Continues a run from the newest good checkpoint in `dir` (default options.checkpoint.dir). */
export function resume<B>(o: TrainOptions<B> & { dir?: string }): Promise<TrainResult> {
  const dir = o.dir ?? o.checkpoint?.dir;
  if (!dir) throw new Error("resume: give `dir` or checkpoint.dir");
  return train({
    ...o,
    checkpoint: { every: o.checkpoint?.every ?? Number.MAX_SAFE_INTEGER, ...o.checkpoint, dir },
    resume: true,
  });
}

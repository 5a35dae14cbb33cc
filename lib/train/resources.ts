// Resource accounting for one run: wall and step time, throughput, peak tensor bytes (sampled
// inside each step, where activations and gradients are alive) and process RSS.
import * as tf from "@tensorflow/tfjs";
import type { TrainableSet } from "../nn/module.js";

export interface ResourceReport {
  backend: string;
  steps: number;
  wallMs: number;
  /** Median optimiser-step time; the first step (kernel warm-up) is excluded when there are more. */
  stepMs: number;
  meanStepMs: number;
  tokens: number;
  tokensPerSec: number;
  /** Highest tf.memory().numBytes seen during the run. */
  peakTensorBytes: number;
  /** tf.memory().numBytes when the meter started (model weights and anything else alive). */
  startTensorBytes: number;
  /** Highest RSS sampled during the run, and the process's lifetime maximum (getrusage). */
  peakRssBytes: number;
  maxRssBytes: number;
  trainableParams: number;
  totalParams: number;
}

/**
 * The paper's "peak memory" of a fine-tuning run (arXiv 2507.18076 reports it as a ratio to full
 * fine-tuning, as PyTorch's peak allocated memory over training): the model's weights plus
 * everything training adds at its worst moment (gradients, optimiser state, activations, the
 * adapter's own tensors). Here: `modelBytes` (the float32 weights of the model being tuned) plus
 * what training allocated above the tensors alive when it started, so tensors other code left
 * alive in the process (another model, cached batches) do not count. The one memory accounting
 * behind every resource table (lib/reproduce/tables.ts resourceRows; docs/reproductions.md).
 */
export function peakMemoryBytes(
  r: Pick<ResourceReport, "peakTensorBytes" | "startTensorBytes">,
  modelBytes: number,
): number {
  return r.peakTensorBytes - r.startTensorBytes + modelBytes;
}

/** Parameters in a trainable set. */
export function countTrainable(trainable: TrainableSet): number {
  let n = 0;
  for (const g of trainable.groups()) for (const v of g.variables) n += v.size;
  return n;
}

/** Every registered tf.Variable: the model, adapters and anything else alive. */
export function countRegisteredVariables(): number {
  let n = 0;
  for (const v of Object.values(tf.engine().registeredVariables)) n += v.size;
  return n;
}

export class ResourceMeter {
  private readonly t0 = performance.now();
  private readonly startBytes = tf.memory().numBytes;
  private peakBytes = this.startBytes;
  private peakRss = process.memoryUsage.rss();
  private stepStart = 0;
  private readonly stepTimes: number[] = [];
  private tokens = 0;

  constructor(private readonly params: { trainableParams: number; totalParams: number }) {}

  /** Records the current tensor bytes and RSS; call wherever memory may peak. */
  sample(): void {
    const b = tf.memory().numBytes;
    if (b > this.peakBytes) this.peakBytes = b;
    const r = process.memoryUsage.rss();
    if (r > this.peakRss) this.peakRss = r;
  }

  /**
   * Runs `fn`; with `exact`, through tf.profile so the peak counts the bytes alive after every
   * kernel (tf.profile cannot nest, so inside another profile this falls back to sampling).
   */
  async within<T extends tf.TensorContainer>(exact: boolean, fn: () => T): Promise<T> {
    const engine = tf.engine() as unknown as { state: { profiling: boolean } };
    if (!exact || engine.state.profiling) return fn();
    let info: Awaited<ReturnType<typeof tf.profile>>;
    try {
      info = await tf.profile(fn);
    } catch (e) {
      // tf.profile leaves profiling on when its function throws; every later kernel would be logged.
      engine.state.profiling = false;
      throw e;
    }
    if (info.peakBytes > this.peakBytes) this.peakBytes = info.peakBytes;
    return info.result as T;
  }

  startStep(): void {
    this.stepStart = performance.now();
  }

  endStep(tokens: number): number {
    this.sample();
    const ms = performance.now() - this.stepStart;
    this.stepTimes.push(ms);
    this.tokens += tokens;
    return ms;
  }

  /** Tokens per second over the steps so far. */
  throughput(): number {
    const ms = this.stepTimes.reduce((a, b) => a + b, 0);
    return ms > 0 ? (this.tokens * 1000) / ms : 0;
  }

  report(): ResourceReport {
    const times = this.stepTimes.length > 1 ? this.stepTimes.slice(1) : this.stepTimes;
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted.length
      ? sorted.length % 2
        ? (sorted[(sorted.length - 1) / 2] as number)
        : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2
      : 0;
    const wallMs = performance.now() - this.t0;
    return {
      backend: tf.getBackend(),
      steps: this.stepTimes.length,
      wallMs,
      stepMs: median,
      meanStepMs: times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0,
      tokens: this.tokens,
      tokensPerSec: this.throughput(),
      peakTensorBytes: this.peakBytes,
      startTensorBytes: this.startBytes,
      peakRssBytes: this.peakRss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      trainableParams: this.params.trainableParams,
      totalParams: this.params.totalParams,
    };
  }
}

// Memory and time accounting the trainer reports: tfjs tensor bytes (now and peak since the
// last reset), process RSS, and wall-clock step time.
import * as tf from "@tensorflow/tfjs";

export interface MemorySnapshot {
  numTensors: number;
  tensorBytes: number;
  /** Largest tensorBytes seen by `sample()` since `reset()`. */
  peakTensorBytes: number;
  rssBytes: number;
}

export class MemoryMeter {
  private peak = 0;

  reset(): void {
    this.peak = tf.memory().numBytes;
  }

  /** Call at points of interest (after forward, after backward) to track the peak. */
  sample(): MemorySnapshot {
    const m = tf.memory();
    this.peak = Math.max(this.peak, m.numBytes);
    return {
      numTensors: m.numTensors,
      tensorBytes: m.numBytes,
      peakTensorBytes: this.peak,
      rssBytes: process.memoryUsage().rss,
    };
  }
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t0 };
}

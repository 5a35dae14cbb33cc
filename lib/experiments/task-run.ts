// The task-specific half of one fine-tuning run: where batches come from, the loss, the dev loss
// of the eval curve and the final metrics. runMethod owns the rest (model, method, trainer), so a
// GLUE run and a GSM8K run train and report the same way.
import type * as tf from "@tensorflow/tfjs";
import type { BatchSource } from "../train/data.js";

/** What every task's run reads of runMethod's resolved options. */
export interface TaskRunSettings {
  seed: number;
  seqLen: number;
  /** Null for an untrained run. */
  batchSize: number | null;
  trainLimit: number | null;
  /** Examples the final metrics score. */
  evalLimit: number;
  /** Examples in the eval curve's loss. */
  evalLossLimit: number;
  dataDir: string | undefined;
}

export interface TaskEvaluation {
  /** The task's metrics plus `devLoss`. */
  metrics: Record<string, number>;
  /** The headline metric's name. */
  primary: string;
}

export interface TaskRun<B extends { inputIds: tf.Tensor2D }> {
  /** An endless, seeded stream of training batches (LoRA-GA's estimate reads a second seed's stream). */
  batches(seed: number): BatchSource<B>;
  loss(batch: B): tf.Scalar;
  /** Loss on the fixed held-out examples of the eval curve. */
  devLoss(): number;
  /** The final metrics of the model as it is now. */
  evaluate(): Promise<TaskEvaluation>;
}

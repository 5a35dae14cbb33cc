// Messages between a worker process and the child process that trains one job (IPC over fork).
import type { RunJobData, RunJobProgress } from "./run-job.js";

export interface TrainJobRequest {
  type: "train";
  job: RunJobData;
  worker: string;
  storeDir: string;
  threads: number;
  /** Checkpoint every this many optimiser steps. */
  checkpointEvery: number;
  /** A lease older than this is dead; the child refreshes its own at a third of it. */
  leaseMs: number;
  /** Train on this backend instead of the job's (the key then names another backend than the one used). */
  backend?: string;
  /** Folder to look for base models by name before the store. */
  modelsDir?: string;
  /** GLUE data folder when the job's is not on this machine. */
  dataDir?: string;
}

export type TrainJobMessage =
  | { type: "progress"; progress: RunJobProgress }
  | { type: "done"; seconds: number; resumedFromStep?: number }
  | { type: "failed"; error: string };

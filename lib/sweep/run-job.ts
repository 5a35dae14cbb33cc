// What travels through the queue for one run: the run's options (JSON, with RegExp targets encoded),
// the cache key that is the job's id, and what a worker on another machine needs to find the same
// inputs: the base model's folder name and the backend the key was computed for.
import type { RunMethodOptions } from "../experiments/run-method.js";

export interface RunJobData {
  /** The run's cache key (runKey): the BullMQ job id and the result store's folder. */
  key: string;
  /** runMethod's options as JSON (encodeOptions); baseDir and dataDir as the notebook's machine sees them. */
  options: Record<string, unknown>;
  /** The tfjs backend the key was computed for; workers train on it so the key stays true. */
  backend: string;
  /** Name of the base model folder: workers look for it at options.baseDir, then in their --models folder, then in the store. */
  baseName: string;
  /** The notebook that first asked for the run. */
  notebook: string;
  submittedAt: string;
}

export type RunPhase = "starting" | "loading" | "training" | "evaluating" | "saving";

/** Published through job.updateProgress while a worker trains; the notebook shows it live. */
export interface RunJobProgress {
  phase: RunPhase;
  worker: string;
  step: number;
  totalSteps: number;
  loss?: number;
  tokensPerSec?: number;
  resumedFromStep?: number;
}

/** The job's return value (small: the result itself is in the store). */
export interface RunJobReturn {
  key: string;
  /** False when the store already held the result and nothing was trained. */
  trained: boolean;
  worker: string;
  /** Where the worker stored it: host name and store folder as that machine sees them. */
  host: string;
  store: string;
  seconds: number;
}

const REGEXP = "$regexp";

/** runMethod options as JSON: RegExp targets become {"$regexp": [source, flags]}; a predicate cannot travel. */
export function encodeOptions(o: RunMethodOptions): Record<string, unknown> {
  const { progress: _progress, ...rest } = o;
  return JSON.parse(
    JSON.stringify(rest, (k, v) => {
      if (v instanceof RegExp) return { [REGEXP]: [v.source, v.flags] };
      if (typeof v === "function")
        throw new Error(
          `run options: '${k}' is a function, which cannot be sent to a worker; use a string list or RegExp`,
        );
      return v;
    }),
  ) as Record<string, unknown>;
}

export function decodeOptions(json: Record<string, unknown>): RunMethodOptions {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === "object") {
      const r = (v as Record<string, unknown>)[REGEXP];
      if (Array.isArray(r) && Object.keys(v).length === 1) return new RegExp(String(r[0]), String(r[1] ?? ""));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    }
    return v;
  };
  const o = revive(json) as RunMethodOptions;
  for (const field of ["baseDir", "method", "task"] as const)
    if (typeof o[field] !== "string")
      throw new Error(`run job: options.${field} must be a string, found ${JSON.stringify(o[field])}`);
  return o;
}

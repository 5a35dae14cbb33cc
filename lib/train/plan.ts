// A run's training plan: total steps, schedule and update rule. A checkpoint records it, and a
// resume under another plan is refused unless asked for, because the learning rate of every
// remaining step (warmup, linear or cosine decay) depends on the total and the schedule.
import { canonicalJson } from "../io/canonical-json.js";
import type { Optimizer, OptimizerSpec } from "./optim.js";
import type { Schedule } from "./schedule.js";

export interface TrainPlan {
  totalSteps: number;
  /** The schedule spec, or `function:<source>` for a custom schedule function. */
  schedule: unknown;
  /** The optimiser spec (every field the caller gave) or, for an Optimizer object, its name and rate. */
  optimizer: unknown;
  accumulation: number;
  clip: number | null;
}

export function trainPlan(
  totalSteps: number,
  schedule: Schedule,
  optimizer: OptimizerSpec | Optimizer,
  accumulation: number,
  clip: number | undefined,
): TrainPlan {
  return {
    totalSteps,
    schedule: typeof schedule === "function" ? `function:${schedule.toString()}` : { ...schedule },
    optimizer: "apply" in optimizer ? { name: optimizer.name, lr: optimizer.lr } : { ...optimizer },
    accumulation,
    clip: clip ?? null,
  };
}

const LABELS: Record<keyof TrainPlan, string> = {
  totalSteps: "total steps",
  schedule: "schedule",
  optimizer: "optimizer",
  accumulation: "gradient accumulation",
  clip: "gradient clipping",
};

/** "total steps: checkpoint 12, now 20" for each field that differs; empty when the plans agree. */
export function planDifferences(checkpointed: TrainPlan, now: TrainPlan): string[] {
  return (Object.keys(LABELS) as Array<keyof TrainPlan>)
    .filter((k) => canonicalJson(checkpointed[k]) !== canonicalJson(now[k]))
    .map((k) => `${LABELS[k]}: checkpoint ${canonicalJson(checkpointed[k])}, now ${canonicalJson(now[k])}`);
}

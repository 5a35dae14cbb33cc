// Learning-rate multipliers with the same formulas as transformers'
// get_{constant,linear,cosine}_schedule_with_warmup: step s (0-based) trains with base·λ(s),
// so the very first step of a warmup runs at lr 0, exactly as there.

export type ScheduleKind = "constant" | "linear" | "cosine";

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Steps of linear warmup from 0; default 0. */
  warmupSteps?: number;
  /** Cosine only: transformers' num_cycles (default 0.5: one half-wave from 1 down to 0). */
  numCycles?: number;
}

export type Schedule = ScheduleSpec | ((step: number, totalSteps: number) => number);

/** The multiplier λ(step) of the base learning rate. */
export function lrMultiplier(schedule: Schedule, step: number, totalSteps: number): number {
  if (typeof schedule === "function") return schedule(step, totalSteps);
  const warmup = schedule.warmupSteps ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`schedule.warmupSteps: expected a non-negative integer, found ${warmup}`);
  }
  if (step < warmup) return step / Math.max(1, warmup);
  switch (schedule.kind) {
    case "constant":
      return 1;
    case "linear":
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
    case "cosine": {
      const cycles = schedule.numCycles ?? 0.5;
      const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
    }
    default:
      throw new Error(
        `schedule.kind: expected "constant", "linear" or "cosine", found ${JSON.stringify((schedule as ScheduleSpec).kind)}`,
      );
  }
}

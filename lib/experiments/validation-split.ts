// A validation split carved from GLUE train, so learning rates, budgets and scoring are chosen
// without ever reading dev (which the tables report). The split is fixed (its own seed, not the
// run's), so every run and seed of a sweep scores the same examples and trains on the rest.
import { loadGlue, type GlueExample, type GlueTask } from "../data/glue.js";
import { seededPermutation } from "../data/sample.js";

/** "dev": the task's dev split (the tables); "validation": the held-out part of train (sweeps). */
export type EvalSplit = "dev" | "validation";

export const EVAL_SPLITS: readonly EvalSplit[] = ["dev", "validation"];

const VALIDATION_SEED = 0x5eed;
/** At most this many train examples are held out, and never more than 15 % of train. */
export const VALIDATION_MAX = 500;

export interface TrainValidation {
  train: GlueExample[];
  validation: GlueExample[];
}

/** Splits train into a fixed validation part and the rest, both kept in file order. */
export function splitTrain(examples: readonly GlueExample[]): TrainValidation {
  const size = Math.min(VALIDATION_MAX, Math.floor(examples.length * 0.15));
  const held = new Set(seededPermutation(examples.length, VALIDATION_SEED).slice(0, size));
  return {
    train: examples.filter((_, i) => !held.has(i)),
    validation: examples.filter((_, i) => held.has(i)),
  };
}

/** The examples a run evaluates on and those it may train on (undefined: the whole train split). */
export function runExamples(
  task: GlueTask,
  split: EvalSplit,
  dir?: string,
): { evaluation: GlueExample[]; training: GlueExample[] | undefined } {
  if (!EVAL_SPLITS.includes(split))
    throw new Error(`runMethod: evalSplit must be ${EVAL_SPLITS.join(" or ")}, found ${JSON.stringify(split)}`);
  if (split === "dev") return { evaluation: loadGlue(task, "dev", { dir }), training: undefined };
  const { train, validation } = splitTrain(loadGlue(task, "train", { dir }));
  return { evaluation: validation, training: train };
}

// A GLUE task as runMethod trains it: seeded train batches, the label loss, the dev loss of the
// eval curve on a fixed dev subsample, the task's GLUE metrics on the dev subset.
import type { GlueTask } from "../data/glue.js";
import { subsample } from "../data/sample.js";
import { evaluateGlue } from "../eval/glue.js";
import { GLUE_VERBALIZERS } from "../eval/prompts.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import type { TransformerModel } from "../models/model.js";
import { glueBatches, type GlueBatch } from "./glue-batches.js";
import { glueLoss, meanGlueLoss } from "./loss.js";
import type { Pooling } from "./pooling.js";
import { labelScorerFor, type ScoringMode } from "./scoring.js";
import type { TaskRun, TaskRunSettings } from "./task-run.js";
import { runExamples, type EvalSplit } from "./validation-split.js";

export interface GlueRunSettings extends TaskRunSettings {
  task: GlueTask;
  scoring: ScoringMode;
  pooling: Pooling;
  /** "validation": score a fixed held-out part of train and train on the rest (validation-split.ts). */
  evalSplit: EvalSplit;
}

/** The largest batch size ≤ max that divides n, so a fixed evaluation set is scored whole. */
function divisorUpTo(n: number, max: number): number {
  for (let b = Math.min(n, max); b > 1; b--) if (n % b === 0) return b;
  return 1;
}

export function glueTaskRun(model: TransformerModel, tokenizer: HfTokenizer, o: GlueRunSettings): TaskRun<GlueBatch> {
  const { task, seed, seqLen, scoring, pooling } = o;
  const { evaluation, training } = runExamples(task, o.evalSplit, o.dataDir);
  const trainSource = training ? { examples: training } : { split: "train" as const };
  const dev = subsample(evaluation, o.evalLimit, seed);
  const devLossExamples = subsample(dev, o.evalLossLimit, seed + 1);
  const devLossBatches = (): GlueBatch[] => {
    const src = glueBatches(task, tokenizer, {
      examples: devLossExamples,
      seqLen,
      batchSize: divisorUpTo(devLossExamples.length, 16),
      seed,
      mode: scoring,
      shuffle: false,
    });
    return Array.from({ length: src.batchesPerEpoch }, () => src.next());
  };
  const devLoss = () => meanGlueLoss(model, devLossBatches(), pooling);
  return {
    batches: (streamSeed) =>
      glueBatches(task, tokenizer, {
        ...trainSource,
        limit: o.trainLimit ?? undefined,
        seqLen,
        batchSize: o.batchSize ?? 8,
        seed: streamSeed,
        mode: scoring,
        dir: o.dataDir,
      }),
    loss: (b) => glueLoss(model, b, pooling),
    devLoss,
    async evaluate() {
      const scorer = labelScorerFor(model, tokenizer, GLUE_VERBALIZERS[task], {
        mode: scoring,
        maxLength: seqLen,
        pooling,
      });
      const r = await evaluateGlue(task, scorer, { examples: dev, batchSize: 32 });
      return {
        metrics: { ...(r.metrics as Record<string, number>), devLoss: devLoss() },
        primary: r.primary as string,
      };
    },
  };
}

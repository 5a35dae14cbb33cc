// GSM8K as runMethod trains it: supervised fine-tuning on GSM8K train (the solution's tokens
// predicted after the evaluator's prompt), the solution loss on a fixed subsample of test
// problems for the eval curve, and the generative benchmarks (generative-eval.ts) as the final
// metrics, headed by GSM8K test exact match. Test problems are only ever evaluated.
import { loadGsm8k } from "../data/gsm8k.js";
import { subsample } from "../data/sample.js";
import type { JudgeConfig } from "../eval/judge.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import type { TransformerModel } from "../models/model.js";
import {
  evaluateGenerative,
  GENERATIVE_METRICS,
  type GenerativeBudget,
  type GenerativeSamples,
} from "./generative-eval.js";
import { gsm8kBatches, type LmBatch } from "./gsm8k-batches.js";
import { continuationLoss, meanLoss } from "./loss.js";
import type { TaskRun, TaskRunSettings } from "./task-run.js";

export interface Gsm8kRunSettings extends TaskRunSettings {
  // evalLimit: GSM8K test problems scored by exact match; evalLossLimit: those in the eval curve's solution loss.
  generation: Omit<GenerativeBudget, "gsm8k">;
  judge: JudgeConfig | null;
}

export function gsm8kTaskRun(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  o: Gsm8kRunSettings,
): TaskRun<LmBatch> & { notes: Record<string, string>; samples: GenerativeSamples } {
  const lossExamples = subsample(loadGsm8k("test", { dir: o.dataDir }), o.evalLossLimit, o.seed + 1);
  const devLoss = () => {
    const src = gsm8kBatches(tokenizer, { examples: lossExamples, seqLen: o.seqLen, batchSize: 1, shuffle: false });
    return meanLoss(
      Array.from({ length: src.batchesPerEpoch }, () => src.next()),
      (b) => continuationLoss(model, b),
    );
  };
  const notes: Record<string, string> = {};
  const samples: GenerativeSamples = {};
  return {
    notes,
    samples,
    batches: (streamSeed) =>
      gsm8kBatches(tokenizer, {
        limit: o.trainLimit ?? undefined,
        seqLen: o.seqLen,
        batchSize: o.batchSize ?? 8,
        seed: streamSeed,
        dir: o.dataDir,
      }),
    loss: (b) => continuationLoss(model, b),
    devLoss,
    async evaluate() {
      const r = await evaluateGenerative(
        model,
        tokenizer,
        { ...o.generation, gsm8k: o.evalLimit },
        { seed: o.seed, judge: o.judge, ...(o.dataDir ? { dataDir: o.dataDir } : {}) },
      );
      Object.assign(notes, r.notes);
      Object.assign(samples, r.samples);
      return { metrics: { ...r.metrics, devLoss: devLoss() }, primary: GENERATIVE_METRICS.gsm8k };
    },
  };
}

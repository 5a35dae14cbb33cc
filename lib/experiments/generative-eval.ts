// The generative benchmarks of the paper's second table on one model as it is now (the untuned
// base or a fine-tuned one): GSM8K test exact match, HumanEval pass@1 in the sandbox, MT-Bench
// answers to its questions, scored when a judge is configured and kept either way. Greedy decoding (MT-Bench: its per-category
// temperatures), seeded, so a run's scores are reproducible.
import { evaluateGsm8k } from "../eval/gsm8k.js";
import { evaluateHumanEval } from "../eval/humaneval.js";
import type { JudgeConfig } from "../eval/judge.js";
import { runMtBench, type MtBenchAnswer } from "../eval/mtbench.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import type { TransformerModel } from "../models/model.js";
import { textGeneratorFor } from "./generation.js";

export interface GenerativeBudget {
  /** GSM8K test problems (seeded subsample). */
  gsm8k: number;
  /** HumanEval tasks (0 leaves the benchmark out). */
  humaneval: number;
  /** MT-Bench questions (0 leaves it out); answered by the model always, scored only with a judge. */
  mtbench: number;
  /** New tokens per answer. */
  maxTokens: number;
}

/** Metric names in a run's `metrics`. */
export const GENERATIVE_METRICS = {
  gsm8k: "gsm8kExactMatch",
  humaneval: "humanevalPassAt1",
  mtbench: "mtbenchScore",
} as const;

export interface GenerativeScores {
  metrics: Record<string, number>;
  /** Why a benchmark has no metric: left out by the budget, or MT-Bench without a judge. */
  notes: Record<string, string>;
  /** What the model wrote where a reader should see it: MT-Bench's answers (and judgments, when judged). */
  samples: GenerativeSamples;
}

export interface GenerativeSamples {
  mtbench?: MtBenchAnswer[];
}

export async function evaluateGenerative(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  budget: GenerativeBudget,
  opts: { seed: number; dataDir?: string; judge?: JudgeConfig | null },
): Promise<GenerativeScores> {
  const generator = textGeneratorFor(model, tokenizer);
  const common = { seed: opts.seed, maxTokens: budget.maxTokens, dir: opts.dataDir };
  const metrics: Record<string, number> = {};
  const notes: Record<string, string> = {};
  const g = await evaluateGsm8k(generator, { ...common, limit: budget.gsm8k });
  metrics[GENERATIVE_METRICS.gsm8k] = g.exactMatch;
  if (budget.humaneval > 0) {
    const h = await evaluateHumanEval(generator, { ...common, limit: budget.humaneval });
    metrics[GENERATIVE_METRICS.humaneval] = h.passAtK[1] ?? 0;
    notes.humaneval = `sandbox: ${h.isolation.method}`;
  } else notes.humaneval = "left out (budget 0)";
  const samples: GenerativeSamples = {};
  if (budget.mtbench > 0) {
    // Answered without a judge too: the answers are the tuned model's, kept for a reader or a later judge.
    const m = await runMtBench(generator, { ...common, limit: budget.mtbench, judge: opts.judge ?? null });
    samples.mtbench = m.answers;
    if (m.status === "judged") metrics[GENERATIVE_METRICS.mtbench] = m.score;
    else
      notes.mtbench = `not judged: no judge configured (PEFT_JUDGE_BASE_URL, PEFT_JUDGE_MODEL); ${m.n} questions answered`;
  } else notes.mtbench = "left out (budget 0)";
  return { metrics, notes, samples };
}

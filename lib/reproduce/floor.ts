// The generative benchmarks (GSM8K, HumanEval, MT-Bench) on the untuned base model. A model of a
// million parameters (or fewer) trained on one novel scores zero on them whatever the fine-tuning, so at
// smoke and small they are measured on a few problems to show the floor, not to rank methods.
import type { Table } from "../plots/table.js";
import { evaluateGsm8k } from "../eval/gsm8k.js";
import { evaluateHumanEval } from "../eval/humaneval.js";
import { judgeFromEnv } from "../eval/judge.js";
import { runMtBench } from "../eval/mtbench.js";
import { textGeneratorFor } from "../experiments/generation.js";
import { loadTokenizer } from "../io/tokenizer.js";
import { loadModelWithTokenizer } from "../models/pretrained.js";
import type { ScaleSettings } from "./settings.js";

export interface FloorScores {
  gsm8k: { exactMatch: number; n: number };
  /** `isolation`: the sandbox the completions ran in ("bubblewrap", or the opted-in weak fallback). */
  humaneval: { passAt1: number; n: number; isolation: string };
  /** Null when no judge is configured (PEFT_JUDGE_BASE_URL / PEFT_JUDGE_MODEL). */
  mtbench: { score: number; n: number } | null;
}

export async function floorScores(
  baseDir: string,
  s: ScaleSettings,
  opts: { seed?: number; dataDir?: string; mtbenchQuestions?: number } = {},
): Promise<FloorScores> {
  const seed = opts.seed ?? 0;
  const { model, tokenizerPath } = await loadModelWithTokenizer(baseDir);
  try {
    if (!tokenizerPath) throw new Error(`floorScores: ${baseDir} has no tokenizer.json`);
    const generator = textGeneratorFor(model, await loadTokenizer(tokenizerPath));
    const g = await evaluateGsm8k(generator, {
      limit: s.generative.gsm8k,
      seed,
      maxTokens: s.generative.maxTokens,
      dir: opts.dataDir,
    });
    const h = await evaluateHumanEval(generator, {
      limit: s.generative.humaneval,
      seed,
      maxTokens: s.generative.maxTokens,
      dir: opts.dataDir,
    });
    const judge = judgeFromEnv();
    let mtbench: FloorScores["mtbench"] = null;
    if (judge) {
      const m = await runMtBench(generator, {
        judge,
        limit: opts.mtbenchQuestions ?? 8,
        seed,
        maxTokens: s.generative.maxTokens,
        dir: opts.dataDir,
      });
      if (m.status === "judged") mtbench = { score: m.score, n: m.n };
    }
    return {
      gsm8k: { exactMatch: g.exactMatch, n: g.n },
      humaneval: { passAt1: h.passAtK[1] ?? 0, n: h.n, isolation: h.isolation.method },
      mtbench,
    };
  } finally {
    model.dispose();
  }
}

export function floorTable(f: FloorScores): Table {
  return {
    columns: ["benchmark", "metric", "untuned base", "problems", "why at floor"],
    rows: [
      [
        "GSM8K",
        "exact match",
        f.gsm8k.exactMatch,
        f.gsm8k.n,
        "multi-step arithmetic in words; a model of under a million parameters trained on Moby Dick cannot do it",
      ],
      [
        "HumanEval",
        `pass@1 (sandbox: ${f.humaneval.isolation})`,
        f.humaneval.passAt1,
        f.humaneval.n,
        "writing Python that passes unit tests needs code pre-training and scale",
      ],
      [
        "MT-Bench",
        "judge score (1-10)",
        f.mtbench ? f.mtbench.score : "not judged",
        f.mtbench ? f.mtbench.n : 0,
        "needs an instruction-following model and an LLM judge (set PEFT_JUDGE_BASE_URL and PEFT_JUDGE_MODEL)",
      ],
    ],
    digits: 3,
    caption: "Generative benchmarks on the untuned base model: at floor at this scale",
  };
}

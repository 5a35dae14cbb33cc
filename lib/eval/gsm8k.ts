// GSM8K evaluation through a TextGenerator: exact match of the final number.
import { loadGsm8k, type Gsm8kExample } from "../data/gsm8k.js";
import { subsample } from "../data/sample.js";
import { extractPredictedAnswer, extractReferenceAnswer } from "./gsm8k-answer.js";
import type { TextGenerator } from "./interfaces.js";
import { GSM8K_STOP, gsm8kPrompt, truncateAtStop } from "./prompts.js";

export interface Gsm8kEvalOptions {
  /** Test questions (seeded subsample); default all 1319. */
  limit?: number;
  /** Worked examples from the train split put before each question (the first `fewShot` rows). Default 0. */
  fewShot?: number;
  seed?: number;
  maxTokens?: number;
  batchSize?: number;
  /** Questions to use instead of loading the test split; and few-shot pool instead of the train split. */
  examples?: Gsm8kExample[];
  shotPool?: Gsm8kExample[];
  dir?: string;
}

export interface Gsm8kResult {
  exactMatch: number;
  n: number;
  items: { index: number; reference: string; predicted: string | undefined; correct: boolean; generation: string }[];
}

/** Greedy generation of each answer, scored by exact match of the extracted final number. */
export async function evaluateGsm8k(generator: TextGenerator, opts: Gsm8kEvalOptions = {}): Promise<Gsm8kResult> {
  const seed = opts.seed ?? 0;
  const examples = subsample(opts.examples ?? loadGsm8k("test", { dir: opts.dir }), opts.limit, seed);
  if (examples.length === 0) throw new Error(`GSM8K: no questions to evaluate (limit ${opts.limit})`);
  const k = opts.fewShot ?? 0;
  const shots = k > 0 ? (opts.shotPool ?? loadGsm8k("train", { dir: opts.dir })).slice(0, k) : [];
  if (shots.length < k) throw new Error(`GSM8K: asked for ${k} few-shot examples, the pool has ${shots.length}`);
  const batch = opts.batchSize ?? 8;
  const items: Gsm8kResult["items"] = [];
  for (let i = 0; i < examples.length; i += batch) {
    const chunk = examples.slice(i, i + batch);
    const out = await generator.generate(
      chunk.map((ex) => gsm8kPrompt(ex.question, shots)),
      { maxTokens: opts.maxTokens ?? 256, temperature: 0, seed, stop: GSM8K_STOP },
    );
    if (out.length !== chunk.length)
      throw new Error(`TextGenerator returned ${out.length} answers for ${chunk.length} prompts`);
    chunk.forEach((ex, j) => {
      const generation = truncateAtStop(out[j], GSM8K_STOP);
      const reference = extractReferenceAnswer(ex.answer);
      const predicted = extractPredictedAnswer(generation);
      items.push({ index: ex.index, reference, predicted, correct: predicted === reference, generation });
    });
  }
  return { exactMatch: items.filter((x) => x.correct).length / items.length, n: items.length, items };
}

// MT-Bench: two-turn answers to the 80 questions; judged when a judge is configured, otherwise saved
// and reported as "not judged" (never a made-up score).
import { writeFileSync } from "node:fs";
import { loadMtBench, type MtBenchCategory, type MtBenchQuestion } from "../data/mtbench.js";
import { subsample } from "../data/sample.js";
import { mapLimit } from "./concurrency.js";
import type { TextGenerator } from "./interfaces.js";
import { askJudge, judgePrompt, parseRating, type JudgeConfig } from "./judge.js";
import { CHAT_STOP, chatPrompt, truncateAtStop } from "./prompts.js";

/** Sampling temperature per category, as in FastChat's MT-Bench generation settings. */
export const MT_BENCH_TEMPERATURE: Record<MtBenchCategory, number> = {
  writing: 0.7,
  roleplay: 0.7,
  extraction: 0,
  math: 0,
  coding: 0,
  reasoning: 0,
  stem: 0.1,
  humanities: 0.1,
};

/** Categories judged against the reference answer. */
const REFERENCE_GUIDED = new Set<MtBenchCategory>(["math", "reasoning", "coding"]);

export interface MtBenchOptions {
  /** Judge endpoint; omitted or null = not judged. Use judgeFromEnv() to read it from the environment. */
  judge?: JudgeConfig | null;
  limit?: number;
  seed?: number;
  maxTokens?: number;
  /** Writes the result (answers, judgments) as JSON here. */
  outFile?: string;
  questions?: MtBenchQuestion[];
  dir?: string;
}

export interface MtBenchAnswer {
  questionId: number;
  category: MtBenchCategory;
  turns: [string, string];
  answers: [string, string];
  /** Per turn; null where the judgment held no parseable rating. Absent when not judged. */
  ratings?: [number | null, number | null];
  judgments?: [string, string];
}

export type MtBenchResult =
  | { status: "not judged"; n: number; answers: MtBenchAnswer[] }
  | {
      status: "judged";
      n: number;
      answers: MtBenchAnswer[];
      judgeModel: string;
      /** Mean of all parsed ratings (both turns), the MT-Bench score. */
      score: number;
      perTurn: [number, number];
      perCategory: Partial<Record<MtBenchCategory, number>>;
      /** Judgments without a parseable rating, left out of the means. */
      unparsed: number;
    };

export async function runMtBench(generator: TextGenerator, opts: MtBenchOptions = {}): Promise<MtBenchResult> {
  const seed = opts.seed ?? 0;
  const questions = subsample(opts.questions ?? loadMtBench({ dir: opts.dir }), opts.limit, seed);
  if (questions.length === 0) throw new Error(`MT-Bench: no questions to run (limit ${opts.limit})`);
  const maxTokens = opts.maxTokens ?? 512;
  const first = await generateByTemperature(generator, questions, (q) => chatPrompt([q.turns[0]], []), maxTokens, seed);
  const second = await generateByTemperature(
    generator,
    questions,
    (q, i) => chatPrompt(q.turns, [first[i]]),
    maxTokens,
    seed,
  );
  const answers: MtBenchAnswer[] = questions.map((q, i) => ({
    questionId: q.questionId,
    category: q.category,
    turns: q.turns,
    answers: [first[i], second[i]],
  }));
  const save = (r: MtBenchResult): MtBenchResult => {
    if (opts.outFile) writeFileSync(opts.outFile, JSON.stringify(r, null, 2));
    return r;
  };
  const unjudged = save({ status: "not judged", n: answers.length, answers });
  if (!opts.judge) return unjudged;

  const judge = opts.judge;
  const cases = questions.flatMap((q, i) =>
    [0, 1].map((t) => ({
      i,
      t,
      prompt: judgePrompt({
        questions: q.turns.slice(0, t + 1),
        answers: answers[i].answers.slice(0, t + 1),
        ...(REFERENCE_GUIDED.has(q.category) && q.reference?.[t] !== undefined ? { reference: q.reference[t] } : {}),
      }),
    })),
  );
  let judgments: string[];
  try {
    judgments = await mapLimit(cases, judge.concurrency ?? 4, (c) => askJudge(judge, c.prompt));
  } catch (e) {
    throw new Error(`${(e as Error).message}${opts.outFile ? ` (answers saved to ${opts.outFile})` : ""}`);
  }
  cases.forEach((c, j) => {
    const a = answers[c.i];
    a.judgments ??= ["", ""];
    a.ratings ??= [null, null];
    a.judgments[c.t] = judgments[j];
    a.ratings[c.t] = parseRating(judgments[j]) ?? null;
  });
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
  const rated = (pick: (a: MtBenchAnswer) => (number | null)[]): number[] =>
    answers.flatMap((a) => pick(a).filter((r): r is number => r !== null));
  const perCategory: Partial<Record<MtBenchCategory, number>> = {};
  for (const cat of new Set(answers.map((a) => a.category)))
    perCategory[cat] = mean(rated((a) => (a.category === cat ? a.ratings! : [])));
  const all = rated((a) => a.ratings!);
  return save({
    status: "judged",
    n: answers.length,
    answers,
    judgeModel: judge.model,
    score: mean(all),
    perTurn: [mean(rated((a) => [a.ratings![0]])), mean(rated((a) => [a.ratings![1]]))],
    perCategory,
    unparsed: answers.length * 2 - all.length,
  });
}

/** One generate call per temperature in use (a TextGenerator call has one temperature). */
async function generateByTemperature(
  gen: TextGenerator,
  questions: MtBenchQuestion[],
  prompt: (q: MtBenchQuestion, i: number) => string,
  maxTokens: number,
  seed: number,
): Promise<string[]> {
  const out = new Array<string>(questions.length);
  const groups = new Map<number, number[]>();
  questions.forEach((q, i) => {
    const t = MT_BENCH_TEMPERATURE[q.category];
    groups.set(t, [...(groups.get(t) ?? []), i]);
  });
  for (const [temperature, idx] of [...groups].sort((a, b) => a[0] - b[0])) {
    const res = await gen.generate(
      idx.map((i) => prompt(questions[i], i)),
      { maxTokens, temperature, seed, stop: CHAT_STOP },
    );
    if (res.length !== idx.length)
      throw new Error(`TextGenerator returned ${res.length} answers for ${idx.length} prompts`);
    idx.forEach((i, j) => {
      out[i] = truncateAtStop(res[j], CHAT_STOP).trim();
    });
  }
  return out;
}

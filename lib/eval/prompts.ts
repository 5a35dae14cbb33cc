// Every prompt template of every evaluator, in one place (documented in docs/data.md), so a change
// of wording is one diff and notebooks can show exactly what the model saw.
import type { GlueExample, GlueTask } from "../data/glue.js";
import type { Gsm8kExample } from "../data/gsm8k.js";

/** The words a GLUE label scorer ranks, by label id (label 0 first). */
export const GLUE_VERBALIZERS: Record<GlueTask, readonly [string, string]> = {
  sst2: ["negative", "positive"],
  cola: ["no", "yes"],
  mrpc: ["no", "yes"],
  rte: ["yes", "no"], // label 0 = entailment
};

/** Zero-shot prompt of one GLUE example; the scorer ranks the verbalizers as its continuation. */
export function gluePrompt(ex: Pick<GlueExample, "task" | "text" | "textPair">): string {
  switch (ex.task) {
    case "sst2":
      return `Review: ${ex.text}\nSentiment (positive or negative):`;
    case "cola":
      return `Sentence: ${ex.text}\nIs this sentence grammatically acceptable (yes or no)?`;
    case "mrpc":
      return `Sentence 1: ${ex.text}\nSentence 2: ${ex.textPair ?? ""}\nDo both sentences mean the same thing (yes or no)?`;
    case "rte":
      return `Premise: ${ex.text}\nHypothesis: ${ex.textPair ?? ""}\nDoes the premise entail the hypothesis (yes or no)?`;
  }
}

/** Calculator annotations `<<48/2=24>>` in GSM8K solutions are tool traces, not text a model should copy. */
export function stripCalculatorAnnotations(answer: string): string {
  return answer.replace(/<<[^>]*>>/g, "");
}

/** GSM8K prompt: `shots` worked examples, then the question; the model continues after "Answer:". */
export function gsm8kPrompt(
  question: string,
  shots: readonly Pick<Gsm8kExample, "question" | "answer">[] = [],
): string {
  const demo = shots
    .map((s) => `Question: ${s.question}\nAnswer: ${stripCalculatorAnnotations(s.answer)}\n\n`)
    .join("");
  return `${demo}Question: ${question}\nAnswer:`;
}

/** Where a GSM8K answer ends: the model starting the next question. */
export const GSM8K_STOP = ["\n\nQuestion:", "\nQuestion:"];

/** HumanEval: the prompt is the task's own signature + docstring, unchanged. */
export function humanEvalPrompt(prompt: string): string {
  return prompt;
}

/** Where a HumanEval function body ends: a new top-level statement (as in the Codex paper). */
export const HUMANEVAL_STOP = ["\nclass ", "\ndef ", "\n#", "\nif __name__", "\nprint("];

/** A plain chat transcript for MT-Bench; `answers` holds the assistant replies so far. */
export function chatPrompt(userTurns: readonly string[], answers: readonly string[]): string {
  if (answers.length !== userTurns.length - 1) {
    throw new Error(
      `chatPrompt: ${userTurns.length} user turns need ${userTurns.length - 1} earlier answers, found ${answers.length}`,
    );
  }
  let s =
    "A chat between a curious user and a helpful assistant. The assistant gives helpful, detailed and polite answers.\n\n";
  userTurns.forEach((u, i) => {
    s += `### User:\n${u}\n\n### Assistant:\n`;
    if (i < answers.length) s += `${answers[i]}\n\n`;
  });
  return s;
}

/** Where an MT-Bench answer ends: the model writing the user's next turn. */
export const CHAT_STOP = ["\n### User:"];

/** Cuts `text` at the earliest stop string (generators may ignore `stop`). */
export function truncateAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

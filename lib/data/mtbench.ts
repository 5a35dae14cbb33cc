// MT-Bench questions: JSONL {question_id, category, turns[2], reference?}.
import { DataFormatError, preview } from "./errors.js";
import { dataFile } from "./paths.js";
import { readJsonl, stringField } from "./text-file.js";
import type { LoadOptions } from "./glue.js";

export const MT_BENCH_CATEGORIES = [
  "writing",
  "roleplay",
  "reasoning",
  "math",
  "coding",
  "extraction",
  "stem",
  "humanities",
] as const;
export type MtBenchCategory = (typeof MT_BENCH_CATEGORIES)[number];

export interface MtBenchQuestion {
  questionId: number;
  category: MtBenchCategory;
  /** The two user turns. */
  turns: [string, string];
  /** Reference answers per turn (math, reasoning, coding questions). */
  reference?: string[];
  line: number;
}

export function loadMtBench(opts: LoadOptions = {}): MtBenchQuestion[] {
  const file = dataFile("mtbench/question.jsonl", opts.dir);
  return readJsonl(file).map(({ line, value }) => {
    const id = value.question_id;
    if (typeof id !== "number" || !Number.isInteger(id))
      throw new DataFormatError(file, line, "question_id", `expected an integer, found ${preview(id)}`);
    const category = stringField(file, line, value, "category");
    if (!(MT_BENCH_CATEGORIES as readonly string[]).includes(category)) {
      throw new DataFormatError(
        file,
        line,
        "category",
        `expected one of ${MT_BENCH_CATEGORIES.join(", ")}, found ${preview(category)}`,
      );
    }
    const turns = value.turns;
    if (!Array.isArray(turns) || turns.length !== 2 || turns.some((t) => typeof t !== "string")) {
      throw new DataFormatError(file, line, "turns", `expected an array of 2 strings, found ${preview(turns)}`);
    }
    const q: MtBenchQuestion = {
      questionId: id,
      category: category as MtBenchCategory,
      turns: [turns[0], turns[1]],
      line,
    };
    if (value.reference !== undefined) {
      const ref = value.reference;
      if (!Array.isArray(ref) || ref.some((t) => typeof t !== "string")) {
        throw new DataFormatError(file, line, "reference", `expected an array of strings, found ${preview(ref)}`);
      }
      q.reference = ref as string[];
    }
    return q;
  });
}

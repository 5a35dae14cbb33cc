// GSM8K word problems: JSONL {question, answer}; the answer's last line is `#### N`.
import { DataFormatError, preview } from "./errors.js";
import { dataFile } from "./paths.js";
import { readJsonl, stringField } from "./text-file.js";
import type { LoadOptions } from "./glue.js";

export interface Gsm8kExample {
  index: number;
  question: string;
  /** The worked solution, ending in `#### N`. */
  answer: string;
  /** N of the `#### N` line as written (may hold thousands separators or a sign). */
  final: string;
  line: number;
}

const FINAL = /####\s*(.+?)\s*$/;

/** Loads GSM8K train or test, checking that every answer ends in a `#### N` line. */
export function loadGsm8k(split: "train" | "test", opts: LoadOptions = {}): Gsm8kExample[] {
  if (split !== "train" && split !== "test")
    throw new Error(`unknown GSM8K split ${preview(split)}; expected train or test`);
  const file = dataFile(`gsm8k/${split}.jsonl`, opts.dir);
  return readJsonl(file).map(({ line, value }, index) => {
    const question = stringField(file, line, value, "question");
    const answer = stringField(file, line, value, "answer");
    const lastLine = answer.trimEnd().split("\n").pop() ?? "";
    const m = FINAL.exec(lastLine);
    if (!m) throw new DataFormatError(file, line, "answer", `last line should be '#### N', found ${preview(lastLine)}`);
    return { index, question, answer, final: m[1], line };
  });
}

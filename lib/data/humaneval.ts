// HumanEval programming problems: JSONL {task_id, prompt, canonical_solution, test, entry_point}.
import { DataFormatError, preview } from "./errors.js";
import { dataFile } from "./paths.js";
import { readJsonl, stringField } from "./text-file.js";
import type { LoadOptions } from "./glue.js";

export interface HumanEvalTask {
  taskId: string;
  /** Signature and docstring; the model continues it. */
  prompt: string;
  canonicalSolution: string;
  /** Python source defining `check(candidate)`. */
  test: string;
  entryPoint: string;
  line: number;
}

export function loadHumanEval(opts: LoadOptions = {}): HumanEvalTask[] {
  const file = dataFile("humaneval/HumanEval.jsonl", opts.dir);
  return readJsonl(file).map(({ line, value }) => {
    const task: HumanEvalTask = {
      taskId: stringField(file, line, value, "task_id"),
      prompt: stringField(file, line, value, "prompt"),
      canonicalSolution: stringField(file, line, value, "canonical_solution"),
      test: stringField(file, line, value, "test"),
      entryPoint: stringField(file, line, value, "entry_point"),
      line,
    };
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(task.entryPoint)) {
      throw new DataFormatError(
        file,
        line,
        "entry_point",
        `expected a Python identifier, found ${preview(task.entryPoint)}`,
      );
    }
    if (!/\bdef check\(/.test(task.test))
      throw new DataFormatError(file, line, "test", "does not define check(candidate)");
    return task;
  });
}

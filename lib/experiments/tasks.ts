// What runMethod fine-tunes on: a GLUE task (scored on dev) or GSM8K (trained on GSM8K train,
// evaluated by generation on the generative benchmarks: GSM8K test, HumanEval, MT-Bench).
import { GLUE_TASKS, type GlueTask } from "../data/glue.js";

export const GENERATIVE_TASKS = ["gsm8k"] as const;
export type GenerativeTask = (typeof GENERATIVE_TASKS)[number];
export type RunTask = GlueTask | GenerativeTask;
export const RUN_TASKS: readonly RunTask[] = [...GLUE_TASKS, ...GENERATIVE_TASKS];

export function isGenerativeTask(task: string): task is GenerativeTask {
  return (GENERATIVE_TASKS as readonly string[]).includes(task);
}

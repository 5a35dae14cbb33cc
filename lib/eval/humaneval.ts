// HumanEval: functional correctness of generated code, pass@k with the unbiased estimator.
import type { HumanEvalTask } from "../data/humaneval.js";
import { loadHumanEval } from "../data/humaneval.js";
import { subsample } from "../data/sample.js";
import { mapLimit } from "./concurrency.js";
import type { TextGenerator } from "./interfaces.js";
import { passAtK } from "./pass-at-k.js";
import { HUMANEVAL_STOP, humanEvalPrompt, truncateAtStop } from "./prompts.js";
import { checkInSandbox, type Isolation, resolveIsolation, type SandboxLimits } from "./sandbox.js";
import type { Resolved } from "./sandbox/isolation.js";

/**
 * The program the reference harness (OpenAI human-eval) runs in one interpreter: prompt + completion,
 * the task's tests, and the call of check. This harness runs the same parts split across two
 * processes (docs/sandbox.md); the text is for reproducing a case by hand.
 */
export function humanEvalProgram(
  task: Pick<HumanEvalTask, "prompt" | "test" | "entryPoint">,
  completion: string,
): string {
  return `${task.prompt}${completion}\n\n${task.test}\n\ncheck(${task.entryPoint})\n`;
}

export interface CompletionCheck {
  /** True only when the task's check() returned in the trusted checker; never from an exit code. */
  passed: boolean;
  status: "passed" | "failed" | "timeout";
  /** Why it failed, e.g. "AssertionError at test line 12: assert candidate(...) == 3", "SyntaxError: ...". */
  reason?: string;
  durationMs: number;
  /** The isolation this check actually ran under. */
  isolation: Isolation;
}

/** Runs one completion against its task's tests in the sandbox. */
export async function checkCompletion(
  task: Pick<HumanEvalTask, "prompt" | "test" | "entryPoint">,
  completion: string,
  limits?: SandboxLimits,
  resolved?: Resolved,
): Promise<CompletionCheck> {
  const r = await checkInSandbox(task, completion, limits, resolved);
  return {
    passed: r.status === "passed",
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    durationMs: r.durationMs,
    isolation: r.isolation,
  };
}

export interface HumanEvalOptions {
  /** k of pass@k; several give several estimates from the same samples. Default [1]. */
  k?: number | number[];
  /** Samples per task (n >= max k). Default max k. */
  n?: number;
  /** Number of tasks (seeded subsample). Default all 164. */
  limit?: number;
  seed?: number;
  /** Default 0 when n = 1 (greedy), else 0.8 (the Codex paper's choice for pass@k with k > 1). */
  temperature?: number;
  maxTokens?: number;
  /** Sandboxes at once. Default 2. */
  concurrency?: number;
  /** Limits and isolation; without bubblewrap, evaluation refuses unless `allowWeakIsolation` (docs/sandbox.md). */
  sandbox?: SandboxLimits;
  /** Tasks to use instead of loading HumanEval.jsonl. */
  tasks?: HumanEvalTask[];
  dir?: string;
}

export interface HumanEvalResult {
  passAtK: Record<number, number>;
  /** Tasks evaluated. */
  n: number;
  samplesPerTask: number;
  tasks: { taskId: string; correct: number; samples: { completion: string; passed: boolean; reason?: string }[] }[];
  /** The isolation every completion was checked under. */
  isolation: Isolation;
}

/** Generates n completions per task, runs them, and estimates pass@k for each k. */
export async function evaluateHumanEval(
  generator: TextGenerator,
  opts: HumanEvalOptions = {},
): Promise<HumanEvalResult> {
  const ks = Array.isArray(opts.k) ? opts.k : [opts.k ?? 1];
  const n = opts.n ?? Math.max(...ks);
  if (ks.some((k) => !Number.isInteger(k) || k < 1 || k > n))
    throw new Error(`HumanEval: every k must be in 1..n (n=${n}), found [${ks.join(", ")}]`);
  const seed = opts.seed ?? 0;
  // Refuse (or settle the isolation) before spending time on generation.
  const resolved = resolveIsolation(opts.sandbox);
  const tasks = subsample(opts.tasks ?? loadHumanEval({ dir: opts.dir }), opts.limit, seed);
  if (tasks.length === 0) throw new Error("HumanEval: no tasks to evaluate (limit 0 or empty task list)");
  const temperature = opts.temperature ?? (n === 1 ? 0 : 0.8);
  const prompts = tasks.map((t) => humanEvalPrompt(t.prompt));
  // Sample s of every task shares one seed offset so runs are reproducible sample by sample.
  const completions: string[][] = tasks.map(() => []);
  for (let s = 0; s < n; s++) {
    const out = await generator.generate(prompts, {
      maxTokens: opts.maxTokens ?? 384,
      temperature,
      seed: seed + s,
      stop: HUMANEVAL_STOP,
    });
    if (out.length !== prompts.length)
      throw new Error(`TextGenerator returned ${out.length} completions for ${prompts.length} prompts`);
    out.forEach((c, i) => {
      completions[i].push(truncateAtStop(c, HUMANEVAL_STOP));
    });
  }
  const jobs = tasks.flatMap((task, ti) => completions[ti].map((completion) => ({ task, ti, completion })));
  const checks = await mapLimit(jobs, opts.concurrency ?? 2, (j) =>
    checkCompletion(j.task, j.completion, opts.sandbox, resolved),
  );
  const perTask = tasks.map((t) => ({
    taskId: t.taskId,
    correct: 0,
    samples: [] as HumanEvalResult["tasks"][number]["samples"],
  }));
  jobs.forEach((j, i) => {
    const c = checks[i];
    perTask[j.ti].samples.push({
      completion: j.completion,
      passed: c.passed,
      ...(c.reason ? { reason: c.reason } : {}),
    });
    if (c.passed) perTask[j.ti].correct++;
  });
  const result: Record<number, number> = {};
  for (const k of ks) result[k] = perTask.reduce((s, t) => s + passAtK(n, t.correct, k), 0) / perTask.length;
  return { passAtK: result, n: tasks.length, samplesPerTask: n, tasks: perTask, isolation: resolved.isolation };
}

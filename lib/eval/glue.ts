// GLUE evaluation through a LabelScorer: SST-2/RTE accuracy, MRPC F1 and accuracy, CoLA MCC.
import { GLUE_TASKS, loadGlue, type GlueExample, type GlueSplit, type GlueTask } from "../data/glue.js";
import { subsample } from "../data/sample.js";
import type { LabelScorer } from "./interfaces.js";
import { accuracy, f1Binary, matthewsCorrcoef } from "./metrics.js";
import { GLUE_VERBALIZERS, gluePrompt } from "./prompts.js";

export interface GlueEvalOptions {
  /** Examples to score (seeded subsample); default all. */
  limit?: number;
  seed?: number;
  /** Default "dev" (GLUE test labels are not public). */
  split?: GlueSplit;
  batchSize?: number;
  /** Examples to use instead of loading the split. */
  examples?: GlueExample[];
  dir?: string;
}

export interface GlueMetrics {
  accuracy?: number;
  f1?: number;
  mcc?: number;
}

export interface GlueResult {
  task: GlueTask;
  split: GlueSplit;
  n: number;
  /** The task's standard metrics only (SST-2/RTE accuracy, MRPC f1+accuracy, CoLA mcc). */
  metrics: GlueMetrics;
  /** The headline metric's name, for tables. */
  primary: keyof GlueMetrics;
  predictions: (0 | 1)[];
  labels: (0 | 1)[];
}

/** The standard metrics of a task from predictions and labels. */
export function glueMetrics(task: GlueTask, predictions: readonly number[], labels: readonly number[]): GlueMetrics {
  switch (task) {
    case "sst2":
    case "rte":
      return { accuracy: accuracy(predictions, labels) };
    case "mrpc":
      return { f1: f1Binary(predictions, labels), accuracy: accuracy(predictions, labels) };
    case "cola":
      return { mcc: matthewsCorrcoef(predictions, labels) };
  }
}

/** Each task's headline metric, as the GLUE leaderboard reports it. */
export const GLUE_PRIMARY: Record<GlueTask, keyof GlueMetrics> = {
  sst2: "accuracy",
  rte: "accuracy",
  mrpc: "f1",
  cola: "mcc",
};

/** Scores both verbalized labels of every example and predicts the higher-scoring one. */
export async function evaluateGlue(
  task: GlueTask,
  scorer: LabelScorer,
  opts: GlueEvalOptions = {},
): Promise<GlueResult> {
  if (!GLUE_TASKS.includes(task))
    throw new Error(`unknown GLUE task ${JSON.stringify(task)}; expected one of ${GLUE_TASKS.join(", ")}`);
  const split = opts.split ?? "dev";
  const examples = subsample(opts.examples ?? loadGlue(task, split, { dir: opts.dir }), opts.limit, opts.seed ?? 0);
  if (examples.length === 0) throw new Error(`GLUE ${task}: no examples to evaluate (limit ${opts.limit})`);
  const batch = opts.batchSize ?? 16;
  const labelWords = GLUE_VERBALIZERS[task];
  const predictions: (0 | 1)[] = [];
  for (let i = 0; i < examples.length; i += batch) {
    const chunk = examples.slice(i, i + batch);
    const scores = await scorer.scoreLabels(
      chunk.map((ex) => ({
        prompt: gluePrompt(ex),
        text: ex.text,
        ...(ex.textPair !== undefined ? { textPair: ex.textPair } : {}),
      })),
      labelWords,
    );
    if (scores.length !== chunk.length)
      throw new Error(`LabelScorer returned ${scores.length} rows for ${chunk.length} inputs`);
    scores.forEach((row, j) => {
      if (row.length !== 2 || row.some((v) => !Number.isFinite(v))) {
        throw new Error(
          `LabelScorer row ${i + j} for GLUE ${task}: expected 2 finite scores, found [${row.join(", ")}]`,
        );
      }
      predictions.push(row[1] > row[0] ? 1 : 0);
    });
  }
  const labels = examples.map((e) => e.label);
  return {
    task,
    split,
    n: examples.length,
    metrics: glueMetrics(task, predictions, labels),
    primary: GLUE_PRIMARY[task],
    predictions,
    labels,
  };
}

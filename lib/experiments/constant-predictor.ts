// The floor of a GLUE column: what the best constant prediction (always 0 or always 1) scores on the
// examples a run evaluates. A model that only learned the label prior reaches it (majority-class
// accuracy, the always-positive F1 of MRPC, MCC 0 on CoLA), so a column whose runs do not clear it
// shows no learning about the task, whatever the gain over an untuned base that sits below it.
import type { GlueTask } from "../data/glue.js";
import { subsample } from "../data/sample.js";
import { GLUE_PRIMARY, glueMetrics } from "../eval/glue.js";
import { runExamples, type EvalSplit } from "./validation-split.js";

export interface ConstantPredictorOptions {
  task: GlueTask;
  /** The seeds of the runs: each scores its own seeded subsample when evalLimit is below the split's size. */
  seeds: readonly number[];
  evalLimit: number;
  evalSplit?: EvalSplit;
  dataDir?: string;
}

export interface ConstantPredictorScore {
  task: GlueTask;
  /** The task's headline metric. */
  metric: string;
  /** Mean over the seeds of the better constant prediction's score. */
  score: number;
  /** The constant that scores it (on the first seed's examples). */
  label: 0 | 1;
}

export function constantPredictorScore(o: ConstantPredictorOptions): ConstantPredictorScore {
  if (o.seeds.length === 0) throw new Error(`constantPredictorScore: ${o.task}: expected at least one seed`);
  const { evaluation } = runExamples(o.task, o.evalSplit ?? "dev", o.dataDir);
  const metric = GLUE_PRIMARY[o.task];
  let sum = 0;
  let label: 0 | 1 = 0;
  o.seeds.forEach((seed, i) => {
    const labels = subsample(evaluation, o.evalLimit, seed).map((e) => e.label);
    const score = (c: 0 | 1) => glueMetrics(o.task, new Array<number>(labels.length).fill(c), labels)[metric] ?? 0;
    const [s0, s1] = [score(0), score(1)];
    sum += Math.max(s0, s1);
    if (i === 0) label = s1 > s0 ? 1 : 0;
  });
  return { task: o.task, metric, score: sum / o.seeds.length, label };
}

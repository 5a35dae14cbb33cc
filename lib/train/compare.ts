// Runs several fine-tuning methods on the same model and data and reports each one's step
// time and peak memory as ratios to full fine-tuning, the paper's efficiency comparison.
import * as tf from "@tensorflow/tfjs";
import type { ParameterHost } from "../nn/module.js";
import type { BatchSource } from "./data.js";
import { fullFineTuning } from "./full.js";
import type { OptimizerSpec } from "./optim.js";
import type { Schedule } from "./schedule.js";
import { train, type StepContext, type Trainable } from "./trainer.js";

export interface MethodSpec<M> {
  name: string;
  /** Attaches the method to a fresh model; a returned detach()/dispose() is called afterwards. */
  makeTrainable: (model: M) => Trainable & { detach?(): void; dispose?(): void };
  /** Overrides the shared optimiser (e.g. a different learning rate per method). */
  optimizer?: OptimizerSpec;
}

export interface CompareOptions<M, B> {
  methods: MethodSpec<M>[];
  /** A fresh model, identical for every method (same seed). */
  makeModel: () => M;
  /** A fresh data source, identical for every method. */
  makeData: () => BatchSource<B>;
  loss: (model: M, batch: B, ctx: StepContext) => tf.Scalar;
  steps: number;
  optimizer: OptimizerSpec;
  schedule?: Schedule;
  accumulation?: number;
  clip?: number;
  seed?: number;
  /** Method the ratios are relative to; default "full", added automatically when absent and the model is a ParameterHost. */
  baseline?: string;
  countTokens?: (batch: B) => number;
  /** Called after each method with its row (e.g. to print progress). */
  onMethod?: (row: ComparisonRow) => void;
}

export interface ComparisonRow {
  name: string;
  trainableParams: number;
  totalParams: number;
  /** Median step time (first step excluded). */
  stepMs: number;
  /** Peak tensor bytes of the run above what was alive before the model was built. */
  peakBytes: number;
  peakRssBytes: number;
  tokensPerSec: number;
  finalLoss: number;
  /** stepMs / baseline stepMs: below 1 is faster. */
  timeRatio: number;
  /** peakBytes / baseline peakBytes: below 1 uses less memory. */
  memoryRatio: number;
}

type Disposable = { dispose?(): void };

export async function compareMethods<M, B>(o: CompareOptions<M, B>): Promise<ComparisonRow[]> {
  const baseline = o.baseline ?? "full";
  const methods = [...o.methods];
  if (!methods.some((m) => m.name === baseline)) {
    if (baseline !== "full")
      throw new Error(
        `compareMethods: baseline '${baseline}' is not among the methods (${methods.map((m) => m.name).join(", ")})`,
      );
    methods.unshift({
      name: "full",
      makeTrainable: (model: M) => {
        if (!model || typeof (model as unknown as ParameterHost).namedParameters !== "function") {
          throw new Error(
            "compareMethods: add a method named 'full' (or set `baseline`): the model is not a ParameterHost, so full fine-tuning cannot be built automatically",
          );
        }
        return fullFineTuning(model as unknown as ParameterHost);
      },
    });
  }
  const rows: Omit<ComparisonRow, "timeRatio" | "memoryRatio">[] = [];
  for (const m of methods) {
    const before = tf.memory().numBytes;
    const model = o.makeModel();
    const trainable = m.makeTrainable(model);
    try {
      const r = await train<B>({
        trainable,
        loss: (batch, ctx) => o.loss(model, batch, ctx),
        data: o.makeData(),
        steps: o.steps,
        optimizer: m.optimizer ?? o.optimizer,
        schedule: o.schedule,
        accumulation: o.accumulation,
        clip: o.clip,
        seed: o.seed,
        progress: { label: m.name },
        countTokens: o.countTokens,
        name: m.name,
      });
      const row = {
        name: m.name,
        trainableParams: r.resources.trainableParams,
        totalParams: r.resources.totalParams,
        stepMs: r.resources.stepMs,
        peakBytes: r.resources.peakTensorBytes - before,
        peakRssBytes: r.resources.peakRssBytes,
        tokensPerSec: r.resources.tokensPerSec,
        finalLoss: r.losses[r.losses.length - 1] as number,
      };
      rows.push(row);
    } finally {
      trainable.detach?.();
      trainable.dispose?.();
      (model as Disposable).dispose?.();
    }
  }
  const base = rows.find((r) => r.name === baseline)!;
  const out = rows.map((r) => ({ ...r, timeRatio: r.stepMs / base.stepMs, memoryRatio: r.peakBytes / base.peakBytes }));
  for (const r of out) o.onMethod?.(r);
  return out;
}

/** The comparison as a Markdown table. */
export function comparisonMarkdown(rows: ComparisonRow[]): string {
  const mb = (b: number) => (b / 2 ** 20).toFixed(2);
  const lines = [
    "| method | trainable params | step ms | time × full | peak MiB | memory × full | final loss |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.trainableParams} | ${r.stepMs.toFixed(1)} | ${r.timeRatio.toFixed(2)} | ${mb(r.peakBytes)} | ${r.memoryRatio.toFixed(2)} | ${r.finalLoss.toFixed(4)} |`,
    ),
  ];
  return lines.join("\n");
}

// The paper's generative table (GSM8K, HumanEval, MT-Bench) rerun on tuned models: every method
// fine-tuned on GSM8K train, then each benchmark's real evaluator run on the tuned model (and on
// the untuned base, the row every method must beat). A column where every run, base and tuned,
// scores the metric's floor stays in the table and is marked "at floor" with the reason.
import type { GatePolicy } from "../adapters/hybrid/gate.js";
import { GENERATIVE_METRICS } from "../experiments/generative-eval.js";
import { learningRates } from "../experiments/methods.js";
import type { MethodName, RunMethodOptions } from "../experiments/run-method.js";
import type { MtBenchAnswer } from "../eval/mtbench.js";
import type { Cell, Table } from "../plots/table.js";
import type { Scale } from "./catalog.js";
import { isRunFailure, type RunOutcome } from "./run-outcome.js";
import { hasGate } from "./settings.js";
import type { RunSummary, ScoreColumn } from "./tables.js";

export interface BenchmarkSettings {
  seedCount: number;
  steps: number;
  batchSize: number;
  /** Tokens per training row (prompt + solution). */
  seqLen: number;
  /** GSM8K train examples (seeded subsample). */
  trainLimit?: number;
  /** GSM8K test problems scored by exact match. */
  gsm8k: number;
  /** GSM8K test problems in the solution-loss column. */
  gsm8kLoss: number;
  humaneval: number;
  mtbench: number;
  /** New tokens per answer. */
  maxTokens: number;
}

/** smoke: CI seconds per run; small: a few minutes for all methods; full: the benchmarks whole, on a GPU. */
export const BENCHMARK_SETTINGS: Record<Scale, BenchmarkSettings> = {
  smoke: {
    seedCount: 2,
    steps: 4,
    batchSize: 4,
    seqLen: 64,
    trainLimit: 64,
    gsm8k: 2,
    gsm8kLoss: 4,
    humaneval: 2,
    mtbench: 2,
    maxTokens: 8,
  },
  small: {
    seedCount: 3,
    steps: 24,
    batchSize: 8,
    seqLen: 96,
    trainLimit: 1024,
    gsm8k: 8,
    gsm8kLoss: 16,
    humaneval: 4,
    mtbench: 4,
    maxTokens: 48,
  },
  full: {
    seedCount: 3,
    steps: 1000,
    batchSize: 16,
    seqLen: 512,
    gsm8k: 1319,
    gsm8kLoss: 256,
    humaneval: 164,
    mtbench: 80,
    maxTokens: 512,
  },
};

export function benchmarkSettingsFor(scale: Scale): BenchmarkSettings {
  const b = BENCHMARK_SETTINGS[scale];
  if (!b)
    throw new Error(
      `benchmarkSettingsFor: unknown scale ${JSON.stringify(scale)} (expected ${Object.keys(BENCHMARK_SETTINGS).join(", ")})`,
    );
  return b;
}

/** GSM8K is trained like "lm" label scoring (the LM head predicts the answer tokens), so it takes that sweep's rates. */
const LM_LR = learningRates("lm");

/** The runMethod options of one benchmark run: the same in every notebook that asks, so runs are cached once. */
export function benchmarkRunOptions(
  b: BenchmarkSettings,
  spec: { baseDir: string; method: MethodName; seed: number; gate: GatePolicy; dataDir?: string | null },
): RunMethodOptions {
  return {
    baseDir: spec.baseDir,
    method: spec.method,
    task: "gsm8k",
    seed: spec.seed,
    steps: b.steps,
    ...(spec.method !== "base" ? { lr: LM_LR[spec.method] } : {}),
    batchSize: b.batchSize,
    seqLen: b.seqLen,
    ...(b.trainLimit !== undefined ? { trainLimit: b.trainLimit } : {}),
    evalLimit: b.gsm8k,
    evalLossLimit: b.gsm8kLoss,
    evalEvery: Math.max(1, Math.floor(b.steps / 2)),
    generation: { humaneval: b.humaneval, mtbench: b.mtbench, maxTokens: b.maxTokens },
    ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
    ...(hasGate(spec.method) ? { adapter: { gate: spec.gate } } : {}),
  };
}

interface BenchmarkColumn extends ScoreColumn {
  /** The worst score the metric has (0 correct, or MT-Bench's lowest rating). */
  floor: number;
  /** Why this model cannot get above it, said when it does not. */
  why: string;
  /** Lower is better (the loss column); never at floor. */
  loss?: boolean;
}

const metricColumn = (name: string, metric: string, floor: number, why: string): BenchmarkColumn => ({
  name,
  value: (r: RunSummary) => (r.task === "gsm8k" ? r.metrics[metric] : undefined),
  covers: (r) => r.task === "gsm8k",
  floor,
  why,
});

/** The table's columns: the three benchmarks' headline metrics, then the GSM8K solution loss (where a small model still moves). */
export const BENCHMARK_COLUMNS: readonly BenchmarkColumn[] = [
  metricColumn(
    "GSM8K exact match",
    GENERATIVE_METRICS.gsm8k,
    0,
    "multi-step arithmetic written out in words; a few million parameters and a few dozen steps cannot solve it",
  ),
  metricColumn(
    "HumanEval pass@1",
    GENERATIVE_METRICS.humaneval,
    0,
    "writing Python that passes unit tests needs code pre-training at scale; the base saw little or no code",
  ),
  metricColumn(
    "MT-Bench score",
    GENERATIVE_METRICS.mtbench,
    1,
    "multi-turn instruction following needs an instruction-tuned model; and a judge endpoint to score it",
  ),
  {
    ...metricColumn("GSM8K solution loss", "devLoss", Number.NEGATIVE_INFINITY, ""),
    loss: true,
  },
];

export const BENCHMARK_LOSS_COLUMN = "GSM8K solution loss";

/**
 * Per column: the best mean of any method, the untuned base's, and the verdict: "at floor" when no
 * run of any method or seed scores above the metric's floor (it cannot rank methods here),
 * "not measured" when no run has the metric (the runs' notes say why), otherwise "above floor in k of n runs".
 */
export function benchmarkFloorTable(runs: readonly RunOutcome[]): Table {
  const good = runs.filter((r): r is RunSummary & RunOutcome => !isRunFailure(r) && r.task === "gsm8k");
  const rows = BENCHMARK_COLUMNS.map((c) => {
    const values = good.map((r) => c.value(r)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const n = values.length;
    if (n === 0) {
      const notes = [
        ...new Set(good.map((r) => (r as { notes?: Record<string, string> }).notes?.[noteKey(c.name)]).filter(Boolean)),
      ];
      return [c.name, null, 0, `not measured: ${notes.join("; ") || "no run has this metric"}`];
    }
    const best = c.loss ? Math.min(...values) : Math.max(...values);
    if (!c.loss && best <= c.floor) return [c.name, best, n, `at floor (${c.floor}) in every run: ${c.why}`];
    if (c.loss) return [c.name, best, n, "moves with fine-tuning (compare each method with base)"];
    // How many runs left the floor, so that one lucky answer in one seed does not read as a ranking signal.
    const above = values.filter((v) => v > c.floor).length;
    return [c.name, best, n, `above floor in ${above} of ${n} runs`];
  });
  return {
    columns: ["column", "best run", "runs", "verdict"],
    rows,
    digits: 3,
    caption:
      "Which benchmark columns can rank methods at this scale (every value from the real evaluator on the tuned model)",
  };
}

function noteKey(column: string): string {
  return column.startsWith("HumanEval") ? "humaneval" : column.startsWith("MT-Bench") ? "mtbench" : "gsm8k";
}

/** Columns of the floor table whose verdict is "at floor" or "not measured" (listed, not judged, in the learning-signal table). */
export function unjudgedColumns(floor: Table): string[] {
  return floor.rows.filter((r) => /^(at floor|not measured)/.test(String(r[3]))).map((r) => String(r[0]));
}

/**
 * MT-Bench answers of each method's tuned model (one seed), question by question: what the models
 * wrote, judged or not, so a reader sees them instead of an empty score column. First turn only,
 * cut to `maxChars`; the runs' cached results hold both turns in full.
 */
export function mtBenchAnswerTable(
  runs: readonly RunOutcome[],
  opts: { seed: number; questions?: number; maxChars?: number },
): Table {
  const maxChars = opts.maxChars ?? 160;
  const withAnswers = runs.filter(
    (r): r is RunSummary & RunOutcome & { samples: { mtbench: MtBenchAnswer[] } } =>
      !isRunFailure(r) && r.task === "gsm8k" && r.seed === opts.seed && (r.samples?.mtbench?.length ?? 0) > 0,
  );
  const first = withAnswers[0]?.samples.mtbench ?? [];
  const questions = first.slice(0, opts.questions ?? first.length);
  const cut = (t: string) => {
    const one = t.replace(/\s+/g, " ").trim();
    return one.length > maxChars ? `${one.slice(0, maxChars - 1)}…` : one || "(empty)";
  };
  const rows: Cell[][] = [];
  for (const q of questions)
    for (const r of withAnswers) {
      const a = r.samples.mtbench.find((x) => x.questionId === q.questionId);
      const rating = a?.ratings?.[0];
      rows.push([q.questionId, q.category, r.method, a ? cut(a.answers[0]) : "(not answered)", rating ?? null]);
    }
  return {
    columns: ["question", "category", "method", "first-turn answer", "rating"],
    rows,
    caption: `MT-Bench: what each method's tuned model answered (seed ${opts.seed}, first turn, ${maxChars} characters at most; rated only with a judge)`,
  };
}

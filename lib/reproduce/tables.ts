// The reproduction tables built from runMethod results: one row per method, each cell the mean ±
// std over seeds. Kept here (not in the notebooks) so tests can check them on known inputs.
import type { RunResult } from "../experiments/run-method.js";
import { meanStd, meanStdCell } from "../plots/mean-std.js";
import type { Cell, Table } from "../plots/table.js";
import { peakMemoryBytes } from "../train/resources.js";
import type { Score } from "./claims.js";
import { isRunFailure, shortError, type RunFailure } from "./run-outcome.js";

/** A run as the tables need it; runMethod's RunResult satisfies it. */
export type RunSummary = Pick<RunResult, "method" | "task" | "seed" | "metrics" | "primary" | "resources">;

function methodsIn(runs: readonly { method: string }[], order?: readonly string[]): string[] {
  const seen: string[] = [...new Set(runs.map((r) => r.method))];
  return order ? [...order.filter((m) => seen.includes(m)), ...seen.filter((m) => !order.includes(m))] : seen;
}

export interface ScoreColumn {
  /** Column title, e.g. "sst2 accuracy". */
  name: string;
  /** The value of one run, or undefined when the run does not belong in this column. */
  value(run: RunSummary): number | undefined;
  /** Whether a run of this method, task and seed belongs in this column (places failed runs); default every run. */
  covers?(run: Pick<RunSummary, "method" | "task" | "seed">): boolean;
}

/** GLUE columns: each task's headline metric (named as the runs name it), then (unless `devLoss: false`) its validation loss. */
export function glueColumns(
  tasks: readonly string[],
  runs: readonly (RunSummary | RunFailure)[] = [],
  opts: { devLoss?: boolean } = {},
): ScoreColumn[] {
  const covers = (task: string) => (r: Pick<RunSummary, "task">) => r.task === task;
  const withLoss = opts.devLoss ?? true;
  return tasks.flatMap((task) => [
    {
      name: `${task} ${runs.find((r): r is RunSummary => !isRunFailure(r) && r.task === task)?.primary ?? "score"}`,
      value: (r: RunSummary) => (r.task === task ? r.metrics[r.primary] : undefined),
      covers: covers(task),
    },
    ...(withLoss
      ? [
          {
            name: `${task} dev loss`,
            value: (r: RunSummary) => (r.task === task ? r.metrics.devLoss : undefined),
            covers: covers(task),
          },
        ]
      : []),
  ]);
}

/**
 * One row per method (in `order`), one column per score: mean ± std over the runs that have it. A
 * cell with a failed run (RunFailure among `runs`) shows the failure instead of a mean over fewer seeds.
 */
export function scoreTable(
  runs: readonly (RunSummary | RunFailure)[],
  columns: readonly ScoreColumn[],
  opts: { order?: readonly string[]; caption?: string; digits?: number } = {},
): Table {
  if (runs.length === 0) throw new Error("scoreTable: no runs");
  const failed = runs.filter(isRunFailure);
  const good = runs.filter((r): r is RunSummary => !isRunFailure(r));
  const rows = methodsIn(runs, opts.order).map((m) => {
    const mine = good.filter((r) => r.method === m);
    return [
      m,
      ...columns.map((c) => {
        const f = failed.filter((r) => r.method === m && (c.covers?.(r) ?? true));
        if (f.length > 0) return `failed: ${f.map((r) => `seed ${r.seed}: ${shortError(r.error, 80)}`).join("; ")}`;
        return meanStdCell(
          mine.map((r) => c.value(r)).filter((v): v is number => v !== undefined && Number.isFinite(v)),
        );
      }),
    ];
  });
  return { columns: ["method", ...columns.map((c) => c.name)], rows, digits: opts.digits ?? 3, caption: opts.caption };
}

/** The per-method mean of every column, as learningSignalTable wants it. */
export function columnMeans(t: Table): Record<string, Record<string, Score>> {
  const out: Record<string, Record<string, Score>> = {};
  for (const row of t.rows) {
    const scores: Record<string, Score> = {};
    t.columns.slice(1).forEach((c, j) => {
      const v = row[j + 1];
      if (typeof v === "number" || (v && typeof v === "object")) scores[c] = v as Score;
    });
    out[String(row[0])] = scores;
  }
  return out;
}

export interface ResourceRow {
  method: string;
  trainableParams: number;
  stepMs: Cell;
  peakMiB: Cell;
  timeRatio: number;
  memoryRatio: number;
}

/** What resourceRows reads of a run: its row name (a method, or a variant of one) and resource report (null for an untrained "base"). */
export interface ResourceRun {
  method: string;
  resources: RunSummary["resources"];
}

/**
 * Training time (median step) and peak memory of each method as ratios to full fine-tuning, from
 * the runs' resource reports (mean over seeds and tasks). Peak memory is peakMemoryBytes: the
 * model's float32 weights (full fine-tuning's trainable parameters, the same model for every
 * method) plus what training allocated above what was alive when it started.
 */
export function resourceRows(runs: readonly ResourceRun[], order?: readonly string[]): ResourceRow[] {
  const trained = runs.filter((r) => r.resources);
  const full = trained.filter((r) => r.method === "full");
  if (full.length === 0) throw new Error("resourceRows: no full fine-tuning run to take ratios against");
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const weightBytes = 4 * full[0]!.resources!.trainableParams;
  const peak = (r: NonNullable<RunSummary["resources"]>) => peakMemoryBytes(r, weightBytes);
  const fullStep = mean(full.map((r) => r.resources!.stepMs));
  const fullPeak = mean(full.map((r) => peak(r.resources!)));
  return methodsIn(trained, order).map((m) => {
    const mine = trained.filter((r) => r.method === m).map((r) => r.resources!);
    const steps = mine.map((r) => r.stepMs);
    const peaks = mine.map((r) => peak(r) / 2 ** 20);
    return {
      method: m,
      trainableParams: mine[0]!.trainableParams,
      stepMs: meanStdCell(steps),
      peakMiB: meanStdCell(peaks),
      timeRatio: mean(steps) / fullStep,
      memoryRatio: mean(mine.map(peak)) / fullPeak,
    };
  });
}

export function resourceTable(rows: readonly ResourceRow[]): Table {
  return {
    columns: ["method", "trainable params", "step ms", "time × full", "peak MiB", "memory × full"],
    rows: rows.map((r) => [r.method, r.trainableParams, r.stepMs, r.timeRatio, r.peakMiB, r.memoryRatio]),
    digits: [0, 0, 1, 2, 2, 2],
    caption:
      "Training time (median optimiser step) and peak memory (model weights + what training allocated), as ratios to full fine-tuning",
  };
}

/**
 * Each method against `reference`, per score, paired by seed (the same seed sees the same data):
 * the mean ± std over seeds of the difference, and whether it stands out of the seeds' spread
 * (|mean| > 2·std/√n, n ≥ 2 seeds; a rough screen for a handful of seeds, not a test).
 */
export function pairedDifferenceTable(
  runs: readonly RunSummary[],
  columns: readonly ScoreColumn[],
  opts: { reference: string; order?: readonly string[]; caption?: string; digits?: number },
): Table {
  const ref = runs.filter((r) => r.method === opts.reference);
  if (ref.length === 0) throw new Error(`pairedDifferenceTable: no runs of the reference '${opts.reference}'`);
  const rows: Cell[][] = [];
  for (const m of methodsIn(runs, opts.order).filter((x) => x !== opts.reference)) {
    for (const c of columns) {
      const diffs: number[] = [];
      for (const r of runs.filter((x) => x.method === m)) {
        const base = ref.find((x) => x.seed === r.seed && x.task === r.task);
        const a = c.value(r);
        const b = base ? c.value(base) : undefined;
        if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b)) diffs.push(a - b);
      }
      if (diffs.length === 0) continue;
      const d = meanStd(diffs);
      const verdict =
        diffs.length < 2
          ? "one seed: no spread to judge by"
          : Math.abs(d.mean) > (2 * d.std) / Math.sqrt(diffs.length)
            ? "differs beyond the seeds' spread"
            : "within the seeds' spread";
      rows.push([m, c.name, diffs.length, d, verdict]);
    }
  }
  return {
    columns: ["method", "score", "seeds", `difference to ${opts.reference} (mean ± std)`, "verdict"],
    rows,
    digits: opts.digits ?? 3,
    caption: opts.caption,
  };
}

// Methods × tasks × seeds, aggregated into the paper-style tables: each cell is mean ± sample
// std over seeds of the task's headline metric; resources as ratios to full fine-tuning.
import type { GlueTask } from "../data/glue.js";
import type { Cell, Table } from "../plots/table.js";
import { runMethod, type MethodName, type RunMethodOptions, type RunResult } from "./run-method.js";

export interface RunGridOptions extends Omit<RunMethodOptions, "method" | "task" | "seed"> {
  methods: MethodName[];
  tasks: GlueTask[];
  seeds: number[];
  /** Per-method overrides (e.g. a learning rate per method). */
  perMethod?: Partial<Record<MethodName, Partial<RunMethodOptions>>>;
  /** Called after each run (progress, saving partial results). */
  onRun?: (result: RunResult) => void | Promise<void>;
}

export interface GridResult {
  runs: RunResult[];
  /** One row per method, one column per task (headline metric, mean ± std over seeds). */
  table: Table;
  /** Step time and peak tensor memory per method, absolute and as ratios to "full". */
  resources: Table;
}

/** Mean ± sample std (n − 1); a plain number for one value, null for none. */
export function meanStdCell(xs: readonly number[]): Cell {
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return mean;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

function nonEmpty<T>(name: string, xs: readonly T[]): void {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`runGrid: ${name} must be a non-empty array`);
}

export async function runGrid(o: RunGridOptions): Promise<GridResult> {
  nonEmpty("methods", o.methods);
  nonEmpty("tasks", o.tasks);
  nonEmpty("seeds", o.seeds);
  const { methods, tasks, seeds, perMethod, onRun, ...common } = o;
  const runs: RunResult[] = [];
  for (const task of tasks) {
    for (const method of methods) {
      for (const seed of seeds) {
        const r = await runMethod({ ...common, ...perMethod?.[method], method, task, seed });
        runs.push(r);
        await onRun?.(r);
      }
    }
  }
  return { runs, table: gridMetricTable(runs, methods, tasks), resources: gridResourceTable(runs, methods) };
}

/** Headline metric per task, mean ± std over seeds. */
export function gridMetricTable(
  runs: readonly RunResult[],
  methods: readonly MethodName[],
  tasks: readonly GlueTask[],
): Table {
  const primary = (t: GlueTask) => runs.find((r) => r.task === t)?.primary ?? "metric";
  return {
    columns: ["method", ...tasks.map((t) => `${t} ${primary(t)}`)],
    rows: methods.map((m) => [
      m,
      ...tasks.map((t) =>
        meanStdCell(runs.filter((r) => r.method === m && r.task === t).map((r) => r.metrics[r.primary] as number)),
      ),
    ]),
    digits: 3,
    caption: `GLUE dev, mean ± std over ${new Set(runs.map((r) => r.seed)).size} seed(s)`,
  };
}

/** Median step time and peak tensor bytes per method (mean over its runs), with ratios to full fine-tuning. */
export function gridResourceTable(runs: readonly RunResult[], methods: readonly MethodName[]): Table {
  const trained = methods.filter((m) => m !== "base");
  const avg = (m: MethodName, f: (r: RunResult) => number) => {
    const xs = runs.filter((r) => r.method === m && r.resources).map(f);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  };
  const stepMs = (m: MethodName) => avg(m, (r) => r.resources!.stepMs);
  const peakMb = (m: MethodName) => avg(m, (r) => r.resources!.peakTensorBytes / 2 ** 20);
  const params = (m: MethodName) => avg(m, (r) => r.resources!.trainableParams);
  const has = (m: MethodName) => runs.some((r) => r.method === m && r.resources);
  const ratio = (x: number, y: number): Cell => (Number.isFinite(x) && Number.isFinite(y) && y > 0 ? x / y : null);
  return {
    columns: ["method", "trainable params", "step ms", "time / full", "peak tensor MB", "memory / full"],
    rows: trained
      .filter(has)
      .map((m) => [
        m,
        Math.round(params(m)),
        stepMs(m),
        ratio(stepMs(m), stepMs("full")),
        peakMb(m),
        ratio(peakMb(m), peakMb("full")),
      ]),
    digits: [0, 0, 1, 2, 2, 2],
    caption: "Training resources (median step time, peak tf.memory bytes); ratios are to full fine-tuning",
  };
}

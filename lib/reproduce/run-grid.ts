// Methods × tasks × seeds trained in one call and aggregated into the paper-style tables through
// the same path as the reproduction notebooks (tables.ts): each cell the mean ± sample std over
// seeds of the task's headline metric; resources as ratios to full fine-tuning (peakMemoryBytes).
import type { GlueTask } from "../data/glue.js";
import { runMethod, type MethodName, type RunMethodOptions, type RunResult } from "../experiments/run-method.js";
import type { Table } from "../plots/table.js";
import { glueColumns, resourceRows, resourceTable, scoreTable } from "./tables.js";

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
  /** Step time and peak memory per method, absolute and as ratios to "full" (resourceTable); empty without "full". */
  resources: Table;
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
  const table = scoreTable(runs, glueColumns(tasks, runs, { devLoss: false }), {
    order: methods,
    caption: `GLUE dev, mean ± std over ${seeds.length} seed(s)`,
  });
  // Memory is counted against full fine-tuning's weights (peakMemoryBytes): without it, no rows.
  const resources = methods.includes("full")
    ? resourceTable(resourceRows(runs, methods))
    : {
        ...resourceTable([]),
        caption: 'No resource rows: add "full" to methods, the runs every ratio is taken against',
      };
  return { runs, table, resources };
}

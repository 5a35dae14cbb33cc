// The usual paper table from curves: one row per run, one column per metric, each cell the mean ±
// std over seeds of a per-seed summary (last, best-high or best-low value).

import type { RunCurve } from "../records/types.js";
import { checkCurves, metricsOf } from "./curves.js";
import { meanStdCell } from "./mean-std.js";
import type { Cell, Table } from "./table.js";

export type Summary = "last" | "max" | "min";

export interface ResultsOptions {
  metrics?: string[];
  /** How one seed's curve becomes one number, per metric or for all; default "last". */
  summary?: Summary | Record<string, Summary>;
  digits?: number;
  caption?: string;
}

function summarise(c: RunCurve, how: Summary): number | undefined {
  const vals = c.steps
    .map((s, i) => [s, c.values[i]!] as const)
    .filter(([, v]) => Number.isFinite(v))
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
  if (vals.length === 0) return undefined;
  if (how === "last") return vals[vals.length - 1];
  return how === "max" ? Math.max(...vals) : Math.min(...vals);
}

/** Runs in first-seen order; a cell is mean ± sample std over seeds (a plain number for one seed). */
export function resultsTable(curves: readonly RunCurve[], opts: ResultsOptions = {}): Table {
  checkCurves("resultsTable", curves);
  const metrics = metricsOf("resultsTable", curves, opts.metrics);
  const runs = [...new Set(curves.map((c) => c.run))];
  const how = (m: string): Summary =>
    typeof opts.summary === "object" ? (opts.summary[m] ?? "last") : (opts.summary ?? "last");
  const rows: Cell[][] = runs.map((run) => [
    run,
    ...metrics.map((m): Cell => {
      const xs = curves
        .filter((c) => c.run === run && c.metric === m)
        .map((c) => summarise(c, how(m)))
        .filter((v): v is number => v !== undefined);
      return meanStdCell(xs);
    }),
  ]);
  return { columns: ["run", ...metrics], rows, digits: opts.digits, caption: opts.caption };
}

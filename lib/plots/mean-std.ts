// Mean ± sample standard deviation (n − 1, numpy's ddof=1): the one aggregation over seeds that
// every table and band uses (lib/reproduce's tables, resultsTable, aggregateSeeds).
import type { Cell, MeanStd } from "./table.js";

/** Mean and sample standard deviation; one value gives std 0. */
export function meanStd(values: readonly number[]): MeanStd {
  if (values.length === 0) throw new Error("meanStd: no values");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

/** A table cell over seeds: mean ± std, a plain number for one value, null for none. */
export function meanStdCell(values: readonly number[]): Cell {
  if (values.length === 0) return null;
  return values.length === 1 ? (values[0] as number) : meanStd(values);
}

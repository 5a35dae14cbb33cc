// Mean ± std over seeds: curves with the same run and metric are aggregated step by step.

import type { RunCurve } from "../records/types.js";
import { checkCurves, metricsOf } from "./curves.js";
import { meanStd } from "./mean-std.js";
import { colorAt, sortNumbers, stackedLayout, title, withAlpha, type PlotlyFigure, type Trace } from "./figure.js";

export interface SeedAggregate {
  run: string;
  metric: string;
  /** Seeds that contributed (undefined seeds are counted by position). */
  seeds: (number | undefined)[];
  steps: number[];
  mean: number[];
  /** Sample standard deviation (n - 1 denominator); 0 where one seed has the step. */
  std: number[];
  /** Seeds with a finite value at each step. */
  n: number[];
}

/** Groups curves by (run, metric) and aggregates over seeds on the union of their steps. */
export function aggregateSeeds(curves: readonly RunCurve[]): SeedAggregate[] {
  checkCurves("aggregateSeeds", curves);
  const groups = new Map<string, RunCurve[]>();
  for (const c of curves) {
    const key = JSON.stringify([c.run, c.metric]);
    const g = groups.get(key) ?? [];
    if (c.seed !== undefined && g.some((o) => o.seed === c.seed)) {
      throw new Error(`aggregateSeeds: run "${c.run}" metric "${c.metric}" has two curves for seed ${c.seed}`);
    }
    g.push(c);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const steps = sortNumbers(g.flatMap((c) => c.steps));
    const at = new Map<number, number[]>(steps.map((s) => [s, []]));
    for (const c of g)
      c.steps.forEach((s, i) => {
        Number.isFinite(c.values[i]) && at.get(s)!.push(c.values[i]!);
      });
    const mean: number[] = [];
    const std: number[] = [];
    const n: number[] = [];
    for (const s of steps) {
      const xs = at.get(s)!;
      const m = xs.length ? meanStd(xs) : { mean: NaN, std: NaN };
      mean.push(m.mean);
      std.push(m.std);
      n.push(xs.length);
    }
    return { run: g[0]!.run, metric: g[0]!.metric, seeds: g.map((c) => c.seed), steps, mean, std, n };
  });
}

export interface BandOptions {
  metrics?: string[];
  title?: string;
  xTitle?: string;
  /** Band half-width in standard deviations; default 1. */
  k?: number;
}

/** Per run: a translucent ±k·std band (a closed `fill: "toself"` polygon) and the mean line. */
export function meanStdFigure(curves: readonly RunCurve[], opts: BandOptions = {}): PlotlyFigure {
  const aggs = aggregateSeeds(curves);
  const metrics = metricsOf("meanStdFigure", curves, opts.metrics);
  const k = opts.k ?? 1;
  const { layout, yAxes } = stackedLayout(metrics, opts.xTitle ?? "step");
  const runColor = new Map<string, string>();
  const legendShown = new Set<string>();
  const data: Trace[] = [];
  const nul = (v: number) => (Number.isFinite(v) ? v : null);
  metrics.forEach((metric, row) => {
    for (const a of aggs) {
      if (a.metric !== metric) continue;
      if (!runColor.has(a.run)) runColor.set(a.run, colorAt(runColor.size));
      const color = runColor.get(a.run)!;
      const upper = a.mean.map((m, i) => nul(m + k * a.std[i]!));
      const lower = a.mean.map((m, i) => nul(m - k * a.std[i]!));
      data.push({
        type: "scatter",
        mode: "lines",
        name: `${a.run} ±${k === 1 ? "" : k}std`,
        legendgroup: a.run,
        showlegend: false,
        x: [...a.steps, ...[...a.steps].reverse()],
        y: [...upper, ...lower.reverse()],
        fill: "toself",
        fillcolor: withAlpha(color, 0.2),
        line: { width: 0, color },
        hoverinfo: "skip",
        xaxis: "x",
        yaxis: yAxes[row],
      });
      data.push({
        type: "scatter",
        mode: "lines",
        name: `${a.run} (n=${a.seeds.length})`,
        legendgroup: a.run,
        showlegend: !legendShown.has(a.run),
        x: a.steps,
        y: a.mean.map(nul),
        customdata: a.std,
        hovertemplate: `${a.run}<br>step %{x}<br>mean %{y:.4g} ± %{customdata:.3g}<extra></extra>`,
        line: { color },
        xaxis: "x",
        yaxis: yAxes[row],
      });
      legendShown.add(a.run);
    }
  });
  layout.title = title(opts.title ?? `${metrics.join(" / ")} (mean ± ${k === 1 ? "" : k}std over seeds)`);
  return { data, layout };
}

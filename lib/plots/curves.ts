// Loss and evaluation curves, several runs overlaid; one stacked row per metric so a training
// loss and an accuracy never share a y axis.

import type { RunCurve } from "../records/types.js";
import { colorAt, stackedLayout, title, type PlotlyFigure, type Trace } from "./figure.js";

export function checkCurves(where: string, curves: readonly RunCurve[]): void {
  if (!Array.isArray(curves)) throw new TypeError(`${where}: expected an array of RunCurve, found ${typeof curves}`);
  curves.forEach((c, i) => {
    const name = `curve ${i}${typeof c?.run === "string" ? ` (run "${c.run}", metric "${c.metric}")` : ""}`;
    if (typeof c?.run !== "string") throw new TypeError(`${where}: ${name} field "run" must be a string`);
    if (typeof c.metric !== "string") throw new TypeError(`${where}: ${name} field "metric" must be a string`);
    if (!Array.isArray(c.steps) || !Array.isArray(c.values)) {
      throw new TypeError(`${where}: ${name} needs arrays "steps" and "values"`);
    }
    if (c.steps.length !== c.values.length) {
      throw new RangeError(
        `${where}: ${name} has ${c.steps.length} steps but ${c.values.length} values; expected equal lengths`,
      );
    }
  });
}

/** Metrics in first-seen order, optionally restricted to `only` (in that order). */
export function metricsOf(where: string, curves: readonly RunCurve[], only?: string[]): string[] {
  const present = [...new Set(curves.map((c) => c.metric))];
  if (!only) return present;
  for (const m of only) {
    if (!present.includes(m))
      throw new Error(`${where}: no curves for metric "${m}"; metrics present: ${present.join(", ") || "none"}`);
  }
  return only;
}

export interface CurveOptions {
  /** Metrics to show, one row each (default: every metric, in first-seen order). */
  metrics?: string[];
  title?: string;
  xTitle?: string;
  logY?: boolean;
}

export function curvesFigure(curves: readonly RunCurve[], opts: CurveOptions = {}): PlotlyFigure {
  checkCurves("curvesFigure", curves);
  const metrics = metricsOf("curvesFigure", curves, opts.metrics);
  const { layout, yAxes } = stackedLayout(metrics, opts.xTitle ?? "step");
  const runColor = new Map<string, string>();
  const legendShown = new Set<string>();
  const data: Trace[] = [];
  metrics.forEach((metric, row) => {
    for (const c of curves) {
      if (c.metric !== metric) continue;
      if (!runColor.has(c.run)) runColor.set(c.run, colorAt(runColor.size));
      const name = c.seed === undefined ? c.run : `${c.run} (seed ${c.seed})`;
      data.push({
        type: "scatter",
        mode: "lines",
        name,
        legendgroup: name,
        showlegend: !legendShown.has(name),
        x: [...c.steps],
        y: c.values.map((v) => (Number.isFinite(v) ? v : null)),
        xaxis: "x",
        yaxis: yAxes[row],
        line: { color: runColor.get(c.run) },
      });
      legendShown.add(name);
    }
    if (opts.logY) (layout[row === 0 ? "yaxis" : `yaxis${row + 1}`] as Record<string, unknown>).type = "log";
  });
  layout.title = title(opts.title ?? metrics.join(" / "));
  return { data, layout };
}

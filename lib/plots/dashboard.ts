// A live training dashboard: loss curves on top, per-layer gradient norms below, redrawn in place
// through one display id as records stream in (throttled; close() draws the final state).

import { display, type DisplayHandle } from "../display/display.js";
import { throttle, type Throttle } from "../display/throttle.js";
import type { GradNormRecord } from "../records/types.js";
import { colorAt, stackedLayout, title, type PlotlyFigure, type Trace } from "./figure.js";
import { gradNormMatrix } from "./grad-norms.js";

/** One scalar observation, e.g. { step: 10, loss: 2.3 } or { step: 10, loss: 2.1, metric: "val_loss" }. */
export interface LossPoint {
  step: number;
  loss: number;
  /** Default "train_loss". */
  metric?: string;
}

export type DashboardRecord = LossPoint | GradNormRecord;

export interface DashboardOptions {
  title?: string;
  /** Minimum time between redraws; default 500 ms (a figure is heavier than a progress bar). */
  minIntervalMs?: number;
  now?: () => number;
  /** Colour the heatmap by log10 of the norm; default true. */
  log?: boolean;
  /** Display id to draw into (default: a fresh one). */
  id?: string;
}

export interface LiveDashboard {
  /** Adds records and redraws if the throttle allows. */
  push(records: DashboardRecord | readonly DashboardRecord[]): void;
  /** The figure for everything pushed so far. */
  figure(): PlotlyFigure;
  /** Draws now, regardless of the throttle. */
  flush(): void;
  /** Draws the final state if not drawn; later pushes are ignored. */
  close(): void;
  /** Display id once something was drawn. */
  readonly id: string | undefined;
}

function isGradNorm(r: DashboardRecord): r is GradNormRecord {
  return typeof (r as GradNormRecord).norm === "number" && typeof (r as GradNormRecord).layer === "string";
}

export function dashboardFigure(
  losses: readonly LossPoint[],
  norms: readonly GradNormRecord[],
  opts: { title?: string; log?: boolean } = {},
): PlotlyFigure {
  const { layout, yAxes } = stackedLayout(["loss", "layer"], "step", 0.1);
  const metrics = [...new Set(losses.map((p) => p.metric ?? "train_loss"))];
  const data: Trace[] = metrics.map((m, i) => {
    const pts = losses.filter((p) => (p.metric ?? "train_loss") === m).sort((a, b) => a.step - b.step);
    return {
      type: "scatter",
      mode: "lines",
      name: m,
      x: pts.map((p) => p.step),
      y: pts.map((p) => (Number.isFinite(p.loss) ? p.loss : null)),
      line: { color: colorAt(i) },
      xaxis: "x",
      yaxis: yAxes[0],
    };
  });
  const log = opts.log ?? true;
  const { layers, steps, z } = gradNormMatrix(norms);
  data.push({
    type: "heatmap",
    name: "‖g‖ per layer",
    x: steps,
    y: layers,
    z: log ? z.map((row) => row.map((v) => (v === null || v <= 0 ? null : Math.log10(v)))) : z,
    colorscale: "Viridis",
    colorbar: { title: { text: log ? "log10 ‖g‖" : "‖g‖" }, y: 0.225, len: 0.45 },
    xaxis: "x",
    yaxis: yAxes[1],
  });
  const y2 = layout.yaxis2 as Record<string, unknown>;
  Object.assign(y2, { autorange: "reversed", type: "category", automargin: true });
  layout.title = title(opts.title ?? "Training");
  layout.legend = { y: 1, yanchor: "top" };
  return { data, layout };
}

export function liveDashboard(opts: DashboardOptions = {}): LiveDashboard {
  const losses: LossPoint[] = [];
  const norms: GradNormRecord[] = [];
  const gate: Throttle = throttle(opts.minIntervalMs ?? 500, opts.now);
  let handle: DisplayHandle<PlotlyFigure> | undefined;
  let dirty = false;
  let closed = false;
  const figure = () => dashboardFigure(losses, norms, opts);
  const draw = () => {
    const fig = figure();
    if (handle) handle.update(fig);
    else handle = display.plotly(fig, opts.id ? { id: opts.id } : {});
    dirty = false;
  };
  return {
    get id() {
      return handle?.id;
    },
    push(records) {
      if (closed) return;
      const list = Array.isArray(records) ? records : [records as DashboardRecord];
      list.forEach((r, i) => {
        if (isGradNorm(r)) norms.push(r);
        else if (typeof (r as LossPoint).loss === "number" && typeof (r as LossPoint).step === "number")
          losses.push(r as LossPoint);
        else
          throw new TypeError(
            `liveDashboard.push: record ${i} is neither { step, loss } nor a GradNormRecord: ${JSON.stringify(r)}`,
          );
      });
      dirty = true;
      if (gate.ready()) draw();
    },
    figure,
    flush() {
      gate.ready(true);
      draw();
    },
    close() {
      if (closed) return;
      closed = true;
      if (dirty || !handle) draw();
    },
  };
}

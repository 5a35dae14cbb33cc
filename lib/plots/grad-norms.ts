// Gradient-norm dynamics from long-format GradNormRecord / GateRecord streams: a per-layer
// heatmap over steps, per-branch lines, and the hybrid's per-layer gate λ_l over time.

import type { GateRecord, GradNormRecord } from "../records/types.js";
import { colorAt, requireField, sortLayers, sortNumbers, title, type PlotlyFigure, type Trace } from "./figure.js";

export interface HeatmapOptions {
  /** Only this branch; otherwise branches of a layer are combined as sqrt(Σ norm²), the norm of all its gradients. */
  branch?: string;
  /** Colour by log10(norm): gradient norms span orders of magnitude across layers. */
  log?: boolean;
  title?: string;
}

function checkGradNorms(where: string, records: readonly GradNormRecord[]): void {
  if (!Array.isArray(records))
    throw new TypeError(`${where}: expected an array of GradNormRecord, found ${typeof records}`);
  records.forEach((r, i) => {
    requireField(where, i, r, "step", "number");
    requireField(where, i, r, "layer", "string");
    requireField(where, i, r, "branch", "string");
    if (typeof r.norm !== "number") requireField(where, i, r, "norm", "number");
  });
}

/** Heatmap trace data: z is layers × steps, null where a layer has no record at a step. */
export function gradNormMatrix(
  records: readonly GradNormRecord[],
  branch?: string,
): { layers: string[]; steps: number[]; z: (number | null)[][] } {
  const where = "gradNormHeatmap";
  checkGradNorms(where, records);
  const rs = branch === undefined ? records : records.filter((r) => r.branch === branch);
  const layers = sortLayers(rs.map((r) => r.layer));
  const steps = sortNumbers(rs.map((r) => r.step));
  const li = new Map(layers.map((l, i) => [l, i]));
  const si = new Map(steps.map((s, i) => [s, i]));
  const sq: (number | null)[][] = layers.map(() => steps.map(() => null));
  const seen = new Set<string>();
  for (const r of rs) {
    const key = `${r.layer}\u0000${r.branch}\u0000${r.step}`;
    if (seen.has(key))
      throw new Error(`${where}: two records for layer "${r.layer}" branch "${r.branch}" step ${r.step}`);
    seen.add(key);
    const row = sq[li.get(r.layer)!]!;
    const j = si.get(r.step)!;
    if (!Number.isFinite(r.norm)) continue; // a gap, not a crash: NaN/Inf gradients do happen
    row[j] = (row[j] ?? 0) + r.norm * r.norm;
  }
  const z = sq.map((row) => row.map((v) => (v === null ? null : Math.sqrt(v))));
  return { layers, steps, z };
}

export function gradNormHeatmap(records: readonly GradNormRecord[], opts: HeatmapOptions = {}): PlotlyFigure {
  const { layers, steps, z } = gradNormMatrix(records, opts.branch);
  const values = opts.log ? z.map((row) => row.map((v) => (v === null || v <= 0 ? null : Math.log10(v)))) : z;
  const label = opts.log ? "log10 ‖g‖" : "‖g‖";
  const trace: Trace = {
    type: "heatmap",
    x: steps,
    y: layers,
    z: values,
    colorscale: "Viridis",
    colorbar: { title: { text: label } },
    hovertemplate: `step %{x}<br>%{y}<br>${label} %{z:.3g}<extra></extra>`,
  };
  return {
    data: [trace],
    layout: {
      title: title(opts.title ?? `Gradient norms per layer${opts.branch ? ` (${opts.branch})` : ""}`),
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: "layer" }, autorange: "reversed", type: "category", automargin: true },
    },
  };
}

export interface BranchLineOptions {
  /** One layer's norms; otherwise the mean over layers at each step. */
  layer?: string;
  logY?: boolean;
  title?: string;
}

/** x/y per branch: one layer's norm, or the mean over layers, at each step. */
export function branchSeries(
  records: readonly GradNormRecord[],
  layer?: string,
): { branch: string; steps: number[]; values: number[] }[] {
  checkGradNorms("gradNormBranchLines", records);
  const rs = records.filter((r) => (layer === undefined || r.layer === layer) && Number.isFinite(r.norm));
  if (layer !== undefined && rs.length === 0) {
    const known = sortLayers(records.map((r) => r.layer));
    throw new Error(
      `gradNormBranchLines: no records for layer "${layer}"; layers present: ${known.slice(0, 8).join(", ")}${known.length > 8 ? ", ..." : ""}`,
    );
  }
  const byBranch = new Map<string, Map<number, { sum: number; n: number }>>();
  for (const r of rs) {
    let steps = byBranch.get(r.branch);
    if (!steps) byBranch.set(r.branch, (steps = new Map()));
    const acc = steps.get(r.step) ?? { sum: 0, n: 0 };
    acc.sum += r.norm;
    acc.n += 1;
    steps.set(r.step, acc);
  }
  return [...byBranch.keys()].sort().map((branch) => {
    const m = byBranch.get(branch)!;
    const steps = sortNumbers(m.keys());
    return { branch, steps, values: steps.map((s) => m.get(s)!.sum / m.get(s)!.n) };
  });
}

export function gradNormBranchLines(records: readonly GradNormRecord[], opts: BranchLineOptions = {}): PlotlyFigure {
  const series = branchSeries(records, opts.layer);
  return {
    data: series.map((s, i) => ({
      type: "scatter",
      mode: "lines",
      name: s.branch,
      x: s.steps,
      y: s.values,
      line: { color: colorAt(i) },
    })),
    layout: {
      title: title(opts.title ?? `Gradient norm per branch (${opts.layer ?? "mean over layers"})`),
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: opts.layer ? "‖g‖" : "mean ‖g‖" }, type: opts.logY ? "log" : "linear" },
    },
  };
}

export interface GateOptions {
  /** Only these layers (default: all, in model order). */
  layers?: string[];
  title?: string;
}

/** The hybrid's mixing weight λ_l over steps, one line per layer. */
export function gateLines(records: readonly GateRecord[], opts: GateOptions = {}): PlotlyFigure {
  const where = "gateLines";
  if (!Array.isArray(records))
    throw new TypeError(`${where}: expected an array of GateRecord, found ${typeof records}`);
  records.forEach((r, i) => {
    requireField(where, i, r, "step", "number");
    requireField(where, i, r, "layer", "string");
    if (typeof r.lambda !== "number") requireField(where, i, r, "lambda", "number");
  });
  const wanted = opts.layers ? new Set(opts.layers) : undefined;
  const byLayer = new Map<string, Map<number, number>>();
  for (const r of records) {
    if (wanted && !wanted.has(r.layer)) continue;
    let m = byLayer.get(r.layer);
    if (!m) byLayer.set(r.layer, (m = new Map()));
    if (m.has(r.step)) throw new Error(`${where}: two gate records for layer "${r.layer}" step ${r.step}`);
    m.set(r.step, r.lambda);
  }
  const layers = sortLayers(byLayer.keys());
  return {
    data: layers.map((layer, i) => {
      const m = byLayer.get(layer)!;
      const steps = sortNumbers(m.keys());
      return {
        type: "scatter",
        mode: "lines",
        name: layer,
        x: steps,
        y: steps.map((s) => m.get(s)!),
        line: { color: colorAt(i) },
      };
    }),
    layout: {
      title: title(opts.title ?? "Hybrid gate λ_l per layer"),
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: "λ_l" } },
    },
  };
}

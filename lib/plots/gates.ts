// How the hybrid's gate behaved: per-layer statistics of λ_l (time at the clamp, spread across
// layers) and λ trajectories of several gate policies side by side, one panel per policy.
// (The tables over seeds built from these are in lib/reproduce/gate-tables.ts.)

import type { GateRecord } from "../records/types.js";
import { colorAt, requireField, sortLayers, sortNumbers, stackedLayout, title, type PlotlyFigure } from "./figure.js";

/** The default clamp of the gate policies (lib/adapters/gate.ts). */
const DEFAULT_CLAMP: [number, number] = [0.05, 0.95];
/** λ within this of a clamp bound counts as at the clamp (λ is clamped exactly, so only float noise). */
const AT_CLAMP_TOL = 1e-9;

/** Whether λ sits at either bound of the clamp. */
export function atClampBound(lambda: number, clamp: [number, number] = DEFAULT_CLAMP): boolean {
  return Math.abs(lambda - clamp[0]) <= AT_CLAMP_TOL || Math.abs(lambda - clamp[1]) <= AT_CLAMP_TOL;
}

export interface LayerGateStats {
  layer: string;
  steps: number;
  /** λ at the layer's last recorded step. */
  final: number;
  min: number;
  max: number;
  /** Fraction of the layer's steps with λ at either clamp bound. */
  atClamp: number;
}

export interface GateStats {
  layers: LayerGateStats[];
  /** λ at the last step across layers: population std, min, max (range = max − min). */
  finalStd: number;
  finalMin: number;
  finalMax: number;
  /** Mean over layers of the fraction of steps at the clamp. */
  atClamp: number;
}

function checkGates(where: string, records: readonly GateRecord[]): void {
  if (!Array.isArray(records))
    throw new TypeError(`${where}: expected an array of GateRecord, found ${typeof records}`);
  records.forEach((r, i) => {
    requireField(where, i, r, "step", "number");
    requireField(where, i, r, "layer", "string");
    requireField(where, i, r, "lambda", "number");
  });
}

/** Per-layer and across-layer statistics of one run's gate records. */
export function gateStats(records: readonly GateRecord[], clamp: [number, number] = DEFAULT_CLAMP): GateStats {
  const where = "gateStats";
  checkGates(where, records);
  const [lo, hi] = clamp;
  if (!(lo <= hi)) throw new RangeError(`${where}: clamp must be [lo, hi] with lo ≤ hi, found [${lo}, ${hi}]`);
  const byLayer = new Map<string, GateRecord[]>();
  for (const r of records) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r]);
  const layers = sortLayers(byLayer.keys()).map((layer): LayerGateStats => {
    const rs = [...(byLayer.get(layer) as GateRecord[])].sort((a, b) => a.step - b.step);
    const values = rs.map((r) => r.lambda);
    const at = values.filter((v) => atClampBound(v, clamp)).length;
    return {
      layer,
      steps: rs.length,
      final: values.at(-1) as number,
      min: Math.min(...values),
      max: Math.max(...values),
      atClamp: at / values.length,
    };
  });
  if (layers.length === 0) throw new Error(`${where}: no gate records (is this a hybrid run?)`);
  const finals = layers.map((l) => l.final);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  return {
    layers,
    finalStd: Math.sqrt(finals.reduce((a, v) => a + (v - mean) ** 2, 0) / finals.length),
    finalMin: Math.min(...finals),
    finalMax: Math.max(...finals),
    atClamp: layers.reduce((a, l) => a + l.atClamp, 0) / layers.length,
  };
}

export interface PolicyGates {
  /** The policy's label, e.g. "weight" or "share". */
  name: string;
  /** Gate records of one run per seed. */
  runs: readonly (readonly GateRecord[])[];
  clamp?: [number, number];
}

export interface GatePanelsOptions {
  title?: string;
  /** Draw the clamp bounds as dotted lines (default true). */
  showClamp?: boolean;
}

/**
 * λ_l over steps for several policies, one panel per policy (stacked, shared step axis), one
 * line per layer in the same colour in every panel; the first run of each policy.
 */
export function gatePolicyPanels(policies: readonly PolicyGates[], opts: GatePanelsOptions = {}): PlotlyFigure {
  const where = "gatePolicyPanels";
  if (!Array.isArray(policies) || policies.length === 0)
    throw new TypeError(`${where}: expected a non-empty array of { name, runs }`);
  for (const p of policies) {
    if (!p.runs?.length) throw new Error(`${where}: policy "${p.name}" has no runs`);
    checkGates(where, p.runs[0] as readonly GateRecord[]);
  }
  const layers = sortLayers(policies.flatMap((p) => (p.runs[0] as readonly GateRecord[]).map((r) => r.layer)));
  const { layout, yAxes } = stackedLayout(
    policies.map((p) => p.name),
    "step",
    0.06,
  );
  const data: Record<string, unknown>[] = [];
  policies.forEach((p, pi) => {
    const yaxis = yAxes[pi] as string;
    const key = pi === 0 ? "yaxis" : `yaxis${pi + 1}`;
    (layout[key] as Record<string, unknown>).range = [0, 1];
    const gates = p.runs[0] as readonly GateRecord[];
    const steps = sortNumbers(gates.map((r) => r.step));
    layers.forEach((layer, li) => {
      const m = new Map(gates.filter((r) => r.layer === layer).map((r) => [r.step, r.lambda]));
      if (m.size === 0) return;
      const xs = steps.filter((s) => m.has(s));
      data.push({
        type: "scatter",
        mode: "lines",
        name: layer,
        legendgroup: layer,
        showlegend: pi === 0,
        x: xs,
        y: xs.map((s) => m.get(s)),
        yaxis,
        line: { color: colorAt(li), width: 1.5 },
      });
    });
    if (opts.showClamp ?? true) {
      const [lo, hi] = p.clamp ?? DEFAULT_CLAMP;
      const x = [steps[0], steps.at(-1)];
      for (const bound of [lo, hi])
        data.push({
          type: "scatter",
          mode: "lines",
          name: "clamp",
          legendgroup: "clamp",
          showlegend: pi === 0 && bound === lo,
          x,
          y: [bound, bound],
          yaxis,
          line: { color: "#888", dash: "dot", width: 1 },
        });
    }
  });
  return {
    data,
    layout: {
      ...layout,
      title: title(opts.title ?? "Hybrid gate λ_l per layer, one panel per gate policy"),
      height: Math.max(360, 170 * policies.length),
    },
  };
}

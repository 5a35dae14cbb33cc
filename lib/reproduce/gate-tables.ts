// The gate ablation's tables: per gate policy, how λ_l spreads across layers and how long
// layers sit at the clamp, aggregated over seeds (mean ± sample std).
import { sortLayers } from "../plots/figure.js";
import { atClampBound, gateStats, type PolicyGates } from "../plots/gates.js";
import type { Table } from "../plots/table.js";
import { meanStd } from "../plots/mean-std.js";

/** One row per policy: how λ spreads across layers at the last step and how long layers sit at the clamp (mean ± std over runs). */
export function gateSummaryTable(policies: readonly PolicyGates[], caption?: string): Table {
  const rows = policies.map((p) => {
    const stats = p.runs.map((gates) => gateStats(gates, p.clamp));
    return [
      p.name,
      meanStd(stats.map((s) => s.layers.reduce((a, l) => a + l.final, 0) / s.layers.length)),
      meanStd(stats.map((s) => s.finalStd)),
      meanStd(stats.map((s) => s.finalMax - s.finalMin)),
      meanStd(stats.map((s) => s.atClamp)),
      meanStd(stats.map((s) => s.layers.filter((l) => atClampBound(l.final, p.clamp)).length)),
    ];
  });
  return {
    columns: [
      "gate",
      "λ at last step, mean over layers",
      "std across layers",
      "range across layers",
      "fraction of steps at clamp",
      "layers at the clamp at the last step",
    ],
    rows,
    digits: 3,
    ...(caption ? { caption } : {}),
  };
}

/** Layers × policies: the fraction of steps each layer's λ spends at the clamp (mean over runs). */
export function gateClampTable(policies: readonly PolicyGates[], caption?: string): Table {
  const perPolicy = policies.map((p) => {
    const stats = p.runs.map((gates) => gateStats(gates, p.clamp));
    const byLayer = new Map<string, number[]>();
    for (const s of stats) for (const l of s.layers) byLayer.set(l.layer, [...(byLayer.get(l.layer) ?? []), l.atClamp]);
    return byLayer;
  });
  const layers = sortLayers(perPolicy.flatMap((m) => [...m.keys()]));
  return {
    columns: ["layer", ...policies.map((p) => p.name)],
    rows: layers.map((layer) => [
      layer,
      ...perPolicy.map((m) => {
        const xs = m.get(layer);
        return xs ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
      }),
    ]),
    digits: 2,
    ...(caption ? { caption } : {}),
  };
}

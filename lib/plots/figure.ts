// Shared pieces of the figure builders: plotly's figure shape, a colour palette, layer ordering,
// record validation and stacked subplot layouts.

import type { PlotlyFigure } from "../display/plotly-fallback.js";

export type { PlotlyFigure };
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

/** Plotly's default qualitative palette (D3 category10), so colours match plotly's own choices. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/** `#rrggbb` -> `rgba(r,g,b,alpha)`, for translucent bands in the same hue as their line. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

const natural = new Intl.Collator("en", { numeric: true });

/** Module paths in model order: `layers.2` before `layers.10`. */
export function sortLayers(layers: Iterable<string>): string[] {
  return [...new Set(layers)].sort(natural.compare);
}

export function sortNumbers(xs: Iterable<number>): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

/** Throws naming the builder, the record index, the field and what it found. */
export function requireField(
  where: string,
  index: number,
  record: unknown,
  field: string,
  kind: "string" | "number",
): void {
  const v = (record as Record<string, unknown> | null)?.[field];
  const ok = kind === "string" ? typeof v === "string" : typeof v === "number" && !Number.isNaN(v);
  if (!ok) {
    throw new TypeError(
      `${where}: record ${index} field "${field}" must be a ${kind}, found ${v === undefined ? "nothing" : JSON.stringify(v)}`,
    );
  }
}

export function title(text: string | undefined): { text: string } | undefined {
  return text === undefined ? undefined : { text };
}

/**
 * Layout for `rows` subplots stacked top to bottom sharing one x axis: row i uses y axis
 * `y`, `y2`, ...; returns the layout and the axis ids per row.
 */
export function stackedLayout(rows: string[], xTitle: string, gap = 0.08): { layout: Layout; yAxes: string[] } {
  const n = rows.length;
  const layout: Layout = {};
  const yAxes: string[] = [];
  const h = (1 - gap * (n - 1)) / n;
  rows.forEach((rowTitle, i) => {
    const id = i === 0 ? "y" : `y${i + 1}`;
    yAxes.push(id);
    const top = 1 - i * (h + gap);
    layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = { domain: [Math.max(0, top - h), top], title: { text: rowTitle } };
  });
  layout.xaxis = { title: { text: xTitle }, anchor: yAxes[n - 1] };
  return { layout, yAxes };
}

// Offline fallbacks for a plotly figure, for clients that cannot render
// application/vnd.plotly.v1+json (nbconvert, GitHub, plain consoles). They summarise the figure
// (title, axes, one row per trace) rather than draw it, so they never need plotly.js or the network.

import { escapeHtml } from "./escape.js";

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
  frames?: unknown[];
}

function titleOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof (v as { text?: unknown }).text === "string") {
    return (v as { text: string }).text;
  }
  return "";
}

interface TraceRow {
  name: string;
  type: string;
  points: string;
}

function traceRows(fig: PlotlyFigure): TraceRow[] {
  return fig.data.map((t, i) => {
    const type = typeof t.type === "string" ? t.type : "scatter";
    let points = "";
    if (Array.isArray(t.z)) {
      const rows = t.z as unknown[];
      const cols = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : 0;
      points = `${rows.length}×${cols}`;
    } else if (Array.isArray(t.y)) points = String((t.y as unknown[]).length);
    else if (Array.isArray(t.x)) points = String((t.x as unknown[]).length);
    else if (Array.isArray(t.values)) points = String((t.values as unknown[]).length);
    const name = typeof t.name === "string" && t.name !== "" ? t.name : `trace ${i}`;
    return { name, type, points };
  });
}

function axisTitles(layout: Record<string, unknown>): string[] {
  return Object.keys(layout)
    .filter((k) => /^[xy]axis\d*$/.test(k))
    .sort()
    .map((k) => {
      const t = titleOf((layout[k] as { title?: unknown } | undefined)?.title);
      return t ? `${k}: ${t}` : "";
    })
    .filter((s) => s !== "");
}

export function figureSummaryText(fig: PlotlyFigure): string {
  const layout = fig.layout ?? {};
  const title = titleOf(layout.title);
  const rows = traceRows(fig);
  const lines = [`Plotly figure${title ? `: ${title}` : ""} (${rows.length} trace${rows.length === 1 ? "" : "s"})`];
  const axes = axisTitles(layout);
  if (axes.length) lines.push(`  axes: ${axes.join("; ")}`);
  for (const r of rows) lines.push(`  - ${r.name} [${r.type}${r.points ? `, ${r.points} points` : ""}]`);
  return lines.join("\n");
}

export function figureSummaryHtml(fig: PlotlyFigure): string {
  const layout = fig.layout ?? {};
  const title = titleOf(layout.title);
  const rows = traceRows(fig);
  const axes = axisTitles(layout);
  const body = rows
    .map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.type)}</td><td>${escapeHtml(r.points)}</td></tr>`)
    .join("");
  return (
    `<div class="peft-plotly-fallback"><p><b>Plotly figure${title ? `: ${escapeHtml(title)}` : ""}</b>` +
    ` <i>(interactive view needs a plotly-capable client)</i></p>` +
    (axes.length ? `<p>${escapeHtml(axes.join("; "))}</p>` : "") +
    `<table><thead><tr><th>trace</th><th>type</th><th>points</th></tr></thead><tbody>${body}</tbody></table></div>`
  );
}

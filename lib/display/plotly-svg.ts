// A static SVG drawing of a plotly figure for clients without plotly.js (nbconvert, GitHub):
// line/marker/band scatter traces and heatmaps on each subplot's axes, with ticks, title and a
// short legend. Not plotly's look, only its content; other trace types are left to the summary.

import { escapeHtml } from "./escape.js";
import type { PlotlyFigure } from "./plotly-fallback.js";

type Obj = Record<string, unknown>;

const PALETTE = [
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
// Viridis at 5 stops; cells interpolate linearly between them.
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];
const MAX_POINTS = 2000;
const MAX_CELLS = 12_000;

function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const c = VIRIDIS[i]!.map((a, k) => Math.round(a + f * (VIRIDIS[i + 1]![k]! - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

/** Min and max without spreading (spreading a long array overflows the stack). */
function extent(vs: readonly number[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Axis {
  key: string; // layout key, e.g. "yaxis2"
  cats: string[] | null; // categorical axis: category order
  lo: number;
  hi: number;
  log: boolean;
  reversed: boolean;
  domain: [number, number];
  title: string;
}

function axisKey(ref: unknown, letter: "x" | "y"): string {
  const r = typeof ref === "string" && ref.startsWith(letter) ? ref : letter;
  return `${letter}axis${r.slice(1)}`;
}

function arr(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return [];
}

function titleText(v: unknown): string {
  if (typeof v === "string") return v;
  const t = (v as Obj | undefined)?.text;
  return typeof t === "string" ? t : "";
}

function drawable(t: Obj): boolean {
  const type = t.type ?? "scatter";
  return type === "scatter" || type === "scattergl" || type === "heatmap";
}

/** Axis ranges from the traces on each axis. */
function buildAxes(fig: PlotlyFigure): Map<string, Axis> {
  const layout = (fig.layout ?? {}) as Obj;
  const axes = new Map<string, Axis>();
  const values = new Map<string, unknown[]>();
  for (const t of fig.data.filter(drawable)) {
    for (const letter of ["x", "y"] as const) {
      const key = axisKey(t[`${letter}axis`], letter);
      const vs = values.get(key) ?? [];
      let own = arr(t[letter]);
      if (own.length === 0 && t.type === "heatmap") {
        const z = arr(t.z);
        own = letter === "y" ? z.map((_, i) => i) : arr(z[0]).map((_, i) => i);
      }
      // Heatmap cells are centred on their coordinates: widen a numeric range by half a cell.
      const nums = own.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      if (t.type === "heatmap" && nums.length > 1 && nums.length === own.length) {
        const half = (nums[1]! - nums[0]!) / 2;
        const halfEnd = (nums[nums.length - 1]! - nums[nums.length - 2]!) / 2;
        own = [nums[0]! - half, ...nums, nums[nums.length - 1]! + halfEnd];
      }
      for (const v of own) vs.push(v);
      values.set(key, vs);
    }
  }
  for (const [key, vs] of values) {
    const spec = (layout[key] ?? {}) as Obj;
    const isCat = spec.type === "category" || vs.some((v) => typeof v === "string");
    const log = spec.type === "log";
    const domain = (Array.isArray(spec.domain) ? spec.domain : [0, 1]) as [number, number];
    const base = { key, log, reversed: spec.autorange === "reversed", domain, title: titleText(spec.title) };
    if (isCat) {
      const cats = [...new Set(vs.map(String))];
      axes.set(key, { ...base, cats, lo: -0.5, hi: cats.length - 0.5 });
    } else {
      const nums = vs
        .filter((v): v is number => typeof v === "number" && Number.isFinite(v))
        .map((v) => (log ? Math.log10(v) : v));
      let [lo, hi] = extent(nums) ?? [0, 1];
      if (lo === hi) {
        lo -= 0.5;
        hi += 0.5;
      }
      axes.set(key, { ...base, cats: null, lo, hi });
    }
  }
  return axes;
}

export interface SvgOptions {
  width?: number;
  height?: number;
}

export function figureSvg(fig: PlotlyFigure, opts: SvgOptions = {}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 420;
  const layout = (fig.layout ?? {}) as Obj;
  const title = titleText(layout.title);
  const axes = buildAxes(fig);
  const longestCat = Math.max(
    0,
    ...[...axes.values()].filter((a) => a.key.startsWith("y") && a.cats).flatMap((a) => a.cats!.map((c) => c.length)),
  );
  const m = { l: Math.min(220, 50 + longestCat * 6), r: 150, t: title ? 36 : 14, b: 42 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const px = (a: Axis, v: unknown): number | null => {
    let u: number;
    if (a.cats) u = a.cats.indexOf(String(v));
    else if (typeof v === "number" && Number.isFinite(v) && (!a.log || v > 0)) u = a.log ? Math.log10(v) : v;
    else return null;
    if (u < 0 && a.cats) return null;
    const f = (u - a.lo) / (a.hi - a.lo);
    return a.key.startsWith("x")
      ? m.l + pw * (a.domain[0] + (a.domain[1] - a.domain[0]) * (a.reversed ? 1 - f : f))
      : m.t + ph * (1 - a.domain[1] + (a.domain[1] - a.domain[0]) * (a.reversed ? f : 1 - f));
  };
  const parts: string[] = [];
  const legend: { name: string; color: string }[] = [];
  fig.data.forEach((t, ti) => {
    if (!drawable(t)) return;
    const ax = axes.get(axisKey(t.xaxis, "x"))!;
    const ay = axes.get(axisKey(t.yaxis, "y"))!;
    if (t.type === "heatmap") {
      const z = arr(t.z).map(arr);
      const xs = arr(t.x).length ? arr(t.x) : arr(z[0]).map((_, i) => i);
      const ys = arr(t.y).length ? arr(t.y) : z.map((_, i) => i);
      const flat = z.flat().filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      const [zlo, zhi] = extent(flat) ?? [0, 1];
      // Sample rows/columns evenly so a long run stays a small drawing.
      const stride = Math.max(1, Math.ceil(Math.sqrt((ys.length * xs.length) / MAX_CELLS)));
      // Cell size: the pixel distance between neighbouring coordinates, times the sampling stride.
      const span = (a: Axis, vs: unknown[], full: number): number => {
        const p0 = vs.length > 1 ? px(a, vs[0]) : null;
        const p1 = vs.length > 1 ? px(a, vs[1]) : null;
        return p0 !== null && p1 !== null ? Math.abs(p1 - p0) : full * (a.domain[1] - a.domain[0]);
      };
      const cw = span(ax, xs, pw) * stride;
      const ch = span(ay, ys, ph) * stride;
      for (let i = 0; i < ys.length; i += stride) {
        for (let j = 0; j < xs.length; j += stride) {
          const v = z[i]?.[j];
          const cx = px(ax, xs[j]);
          const cy = px(ay, ys[i]);
          if (typeof v !== "number" || !Number.isFinite(v) || cx === null || cy === null) continue;
          parts.push(
            `<rect x="${(cx - cw / 2).toFixed(1)}" y="${(cy - ch / 2).toFixed(1)}" width="${(cw + 0.5).toFixed(1)}" height="${(ch + 0.5).toFixed(1)}" fill="${viridis((v - zlo) / (zhi - zlo || 1))}"/>`,
          );
        }
      }
      const scale = titleText(((t.colorbar ?? {}) as Obj).title) || (typeof t.name === "string" ? t.name : "z");
      legend.push({ name: `${scale} ${fmt(zlo)}…${fmt(zhi)}`, color: viridis(1) });
      return;
    }
    const line = (t.line ?? {}) as Obj;
    const color = typeof line.color === "string" ? line.color : PALETTE[ti % PALETTE.length]!;
    const xs = arr(t.x);
    const ys = arr(t.y);
    const stride = Math.max(1, Math.ceil(ys.length / MAX_POINTS));
    let d = "";
    let pen = false;
    const dots: string[] = [];
    for (let i = 0; i < ys.length; i += stride) {
      const x = px(ax, xs.length ? xs[i] : i);
      const y = px(ay, ys[i]);
      if (x === null || y === null) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
      pen = true;
      if (dots.length < 500)
        dots.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${escapeHtml(color)}"/>`);
    }
    const mode = typeof t.mode === "string" ? t.mode : ys.length > 20 ? "lines" : "lines+markers";
    if (t.fill === "toself") {
      const fill = typeof t.fillcolor === "string" ? t.fillcolor : color;
      parts.push(
        `<path d="${d}Z" fill="${escapeHtml(fill)}" fill-opacity="${typeof t.fillcolor === "string" ? 1 : 0.2}" stroke="none"/>`,
      );
    } else if (mode.includes("lines")) {
      parts.push(`<path d="${d}" fill="none" stroke="${escapeHtml(color)}" stroke-width="1.5"/>`);
    }
    if (mode.includes("markers") && t.fill !== "toself") parts.push(...dots);
    if (t.showlegend !== false) legend.push({ name: typeof t.name === "string" ? t.name : `trace ${ti}`, color });
  });
  const axisParts: string[] = [];
  for (const a of axes.values()) {
    const isX = a.key.startsWith("x");
    const ticks = a.cats
      ? a.cats.filter((_, i) => i % Math.max(1, Math.ceil(a.cats!.length / 12)) === 0)
      : niceTicks(a.lo, a.hi).map((v) => (a.log ? 10 ** v : v));
    if (isX) {
      const y = m.t + ph;
      axisParts.push(
        `<line x1="${m.l + pw * a.domain[0]}" x2="${m.l + pw * a.domain[1]}" y1="${y}" y2="${y}" stroke="#444"/>`,
      );
      for (const v of ticks) {
        const x = px(a, v);
        if (x !== null)
          axisParts.push(
            `<text x="${x.toFixed(1)}" y="${y + 14}" text-anchor="middle">${escapeHtml(typeof v === "number" ? fmt(v) : v)}</text>`,
          );
      }
      if (a.title)
        axisParts.push(`<text x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(a.title)}</text>`);
    } else {
      const top = m.t + ph * (1 - a.domain[1]);
      const bottom = m.t + ph * (1 - a.domain[0]);
      axisParts.push(`<line x1="${m.l}" x2="${m.l}" y1="${top}" y2="${bottom}" stroke="#444"/>`);
      for (const v of ticks) {
        const y = px(a, v);
        if (y !== null)
          axisParts.push(
            `<text x="${m.l - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end">${escapeHtml(typeof v === "number" ? fmt(v) : v)}</text>`,
          );
      }
      if (a.title)
        axisParts.push(
          `<text transform="translate(12,${((top + bottom) / 2).toFixed(1)}) rotate(-90)" text-anchor="middle">${escapeHtml(a.title)}</text>`,
        );
    }
  }
  const shown = legend.slice(0, 12);
  const legendParts = shown.map(
    (e, i) =>
      `<rect x="${W - m.r + 10}" y="${m.t + i * 16}" width="10" height="10" fill="${escapeHtml(e.color)}"/>` +
      `<text x="${W - m.r + 24}" y="${m.t + i * 16 + 9}">${escapeHtml(e.name.length > 26 ? `${e.name.slice(0, 25)}…` : e.name)}</text>`,
  );
  if (legend.length > shown.length)
    legendParts.push(
      `<text x="${W - m.r + 10}" y="${m.t + shown.length * 16 + 9}">+${legend.length - shown.length} more</text>`,
    );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    (title ? `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeHtml(title)}</text>` : "") +
    `<g class="traces">${parts.join("")}</g><g class="axes">${axisParts.join("")}</g><g class="legend">${legendParts.join("")}</g></svg>`
  );
}

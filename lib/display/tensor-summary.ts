// Shape/dtype summary of a tfjs tensor with its values, numpy-style: large tensors show only the
// first and last few entries along each axis. Duck-typed on purpose: importing tfjs here would
// make every display (and kernel start) pay tfjs's load time.

import { escapeHtml } from "./escape.js";

/** The slice of the tfjs Tensor interface that a summary needs. */
export interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
  readonly size: number;
  readonly isDisposed?: boolean;
  dataSync(): ArrayLike<number | string | Uint8Array> | unknown;
}

export function isTensorLike(v: unknown): v is TensorLike {
  if (typeof v !== "object" || v === null) return false;
  const t = v as Record<string, unknown>;
  return (
    Array.isArray(t.shape) &&
    typeof t.dtype === "string" &&
    typeof t.size === "number" &&
    typeof t.dataSync === "function"
  );
}

export interface TensorSummaryOptions {
  /** Above this many elements, show only `edgeItems` entries at each end of every axis. */
  threshold?: number;
  edgeItems?: number;
  /** Decimal places for float values. */
  precision?: number;
}

export interface TensorSummary {
  /** e.g. `Tensor float32 [2,3]`. */
  header: string;
  /** The values, nested brackets, one row per line. Empty for disposed tensors. */
  values: string;
  /** min/max/mean for non-empty numeric tensors. */
  stats?: { min: number; max: number; mean: number };
  truncated: boolean;
  text: string;
  html: string;
}

function formatFloat(v: number, precision: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 10 ** -precision)) return v.toExponential(precision);
  // Trim trailing zeros but keep a dot so floats read as floats, as numpy does ("1.", "0.25").
  return v.toFixed(precision).replace(/0+$/, "");
}

function elementFormatter(dtype: string, precision: number): (v: unknown) => string {
  switch (dtype) {
    case "bool":
      return (v) => (v ? "true" : "false");
    case "int32":
      return (v) => String(v);
    case "string":
      return (v) => JSON.stringify(v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));
    default:
      return (v) => formatFloat(Number(v), precision);
  }
}

/** Nested-bracket rendering over a flat row-major array, eliding the middle of long axes. */
function formatNested(values: (i: number) => string, shape: number[], summarize: boolean, edge: number): string {
  const rank = shape.length;
  if (rank === 0) return values(0);
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  const indices = (n: number): (number | null)[] =>
    summarize && n > 2 * edge
      ? [...Array.from({ length: edge }, (_, i) => i), null, ...Array.from({ length: edge }, (_, i) => n - edge + i)]
      : Array.from({ length: n }, (_, i) => i);
  const rec = (dim: number, offset: number, indent: string): string => {
    const idx = indices(shape[dim]!);
    if (dim === rank - 1) return `[${idx.map((i) => (i === null ? "..." : values(offset + i))).join(", ")}]`;
    const sep = `,\n${"\n".repeat(rank - dim - 2)}${indent} `;
    return (
      "[" +
      idx.map((i) => (i === null ? "..." : rec(dim + 1, offset + i * strides[dim]!, `${indent} `))).join(sep) +
      "]"
    );
  };
  return rec(0, 0, "");
}

export function tensorSummary(t: TensorLike, opts: TensorSummaryOptions = {}): TensorSummary {
  const threshold = opts.threshold ?? 1000;
  const edge = opts.edgeItems ?? 3;
  const precision = opts.precision ?? 4;
  const header = `Tensor ${t.dtype} [${t.shape.join(",")}]`;
  if (t.isDisposed) {
    const text = `${header} (disposed)`;
    return { header, values: "", truncated: false, text, html: `<pre>${escapeHtml(text)}</pre>` };
  }
  const data = t.dataSync() as ArrayLike<unknown>;
  let at: (i: number) => string;
  let numeric: ArrayLike<number> | undefined;
  if (t.dtype === "complex64") {
    // Interleaved (re, im) pairs.
    at = (i) => {
      const re = Number(data[2 * i]);
      const im = Number(data[2 * i + 1]);
      return `${formatFloat(re, precision)}${im < 0 ? "-" : "+"}${formatFloat(Math.abs(im), precision)}j`;
    };
  } else {
    const fmt = elementFormatter(t.dtype, precision);
    at = (i) => fmt(data[i]);
    if (t.dtype !== "string") numeric = data as ArrayLike<number>;
  }
  const truncated = t.size > threshold;
  const values = formatNested(at, t.shape, truncated, edge);
  let stats: TensorSummary["stats"];
  if (numeric && numeric.length > 0) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < numeric.length; i++) {
      const v = Number(numeric[i]);
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    stats = { min, max, mean: sum / numeric.length };
  }
  const statLine = stats
    ? `min ${formatFloat(stats.min, precision)}  max ${formatFloat(stats.max, precision)}  mean ${formatFloat(stats.mean, precision)}`
    : "";
  const headLine = truncated ? `${header} (${t.size} values, ${statLine})` : header;
  const text = `${headLine}\n${values}`;
  const html =
    `<div class="peft-tensor"><div><b>Tensor</b> <code>${escapeHtml(t.dtype)}</code> ` +
    `shape <code>[${t.shape.join(", ")}]</code>` +
    (truncated ? ` · ${t.size} values, ${escapeHtml(statLine)}` : "") +
    `</div><pre>${escapeHtml(values)}</pre></div>`;
  return { header, values, stats, truncated, text, html };
}

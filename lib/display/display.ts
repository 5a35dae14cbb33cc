// display(): publishes values as MIME bundles to the current display sink, returning a handle
// whose update() redraws the same output in place (update_display_data).

import { randomUUID } from "node:crypto";
import { toMimeBundle, type MimeResult } from "./mime.js";
import { figureSummaryHtml, figureSummaryText, type PlotlyFigure } from "./plotly-fallback.js";
import { figureSvg } from "./plotly-svg.js";
import { currentDisplaySink, type DisplayMetadata, type MimeBundle } from "./sink.js";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface DisplayOptions {
  /** Display id; reuse it to update the output. A fresh one is made when absent. */
  id?: string;
  metadata?: DisplayMetadata;
}

export interface DisplayHandle<T = unknown> {
  readonly id: string;
  /** Replaces the output in place, rendering `value` the same way the original was rendered. */
  update(value: T): void;
}

type Render<T> = (value: T) => MimeResult;

/**
 * Marks the handles display() returns, so the kernel does not echo `display(x)` as a cell's
 * result. A registered symbol: copies of this module (dist/ and a source import) agree.
 */
export const DISPLAY_HANDLE: unique symbol = Symbol.for("peft-notebook.display-handle");

export function isDisplayHandle(value: unknown): value is DisplayHandle {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DISPLAY_HANDLE] === true;
}

function show<T>(render: Render<T>, value: T, opts: DisplayOptions = {}): DisplayHandle<T> {
  const id = opts.id ?? randomUUID();
  const first = render(value);
  currentDisplaySink().display(first.data, { ...first.metadata, ...opts.metadata }, id);
  const handle: DisplayHandle<T> = {
    id,
    update(next: T) {
      const r = render(next);
      currentDisplaySink().update(r.data, { ...r.metadata, ...opts.metadata }, id);
    },
  };
  // Not enumerable: the handle still prints and spreads as { id, update }.
  Object.defineProperty(handle, DISPLAY_HANDLE, { value: true });
  return handle;
}

function expectString(fn: string, v: unknown): string {
  if (typeof v !== "string") throw new TypeError(`display.${fn}: expected a string, found ${typeof v}`);
  return v;
}

const renderHtml: Render<string> = (s) => ({
  data: { "text/html": expectString("html", s), "text/plain": s },
  metadata: {},
});
const renderMarkdown: Render<string> = (s) => ({
  data: { "text/markdown": expectString("markdown", s), "text/plain": s },
  metadata: {},
});
const renderSvg: Render<string> = (s) => {
  if (!/<svg[\s>]/i.test(expectString("svg", s))) {
    throw new TypeError(
      `display.svg: expected SVG markup containing an <svg> element, found ${JSON.stringify(s.slice(0, 40))}`,
    );
  }
  return { data: { "image/svg+xml": s, "text/plain": "<SVG image>" }, metadata: {} };
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngBytes(input: Uint8Array | ArrayBuffer | string): Buffer {
  let bytes: Buffer;
  if (typeof input === "string") {
    const b64 = input.replace(/^data:image\/png;base64,/, "").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new TypeError("display.png: the string is not base64");
    bytes = Buffer.from(b64, "base64");
  } else if (input instanceof ArrayBuffer) bytes = Buffer.from(input);
  else if (input instanceof Uint8Array) bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  else throw new TypeError(`display.png: expected bytes (Uint8Array) or a base64 string, found ${typeof input}`);
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new TypeError(
      `display.png: not a PNG; expected signature 89 50 4e 47 0d 0a 1a 0a, found ${found || "no bytes"}`,
    );
  }
  return bytes;
}

const renderPng: Render<Uint8Array | ArrayBuffer | string> = (input) => ({
  data: { "image/png": pngBytes(input).toString("base64"), "text/plain": "<PNG image>" },
  metadata: {},
});

const renderJson: Render<unknown> = (obj) => {
  let text: string | undefined;
  try {
    text = JSON.stringify(obj, null, 2);
  } catch (e) {
    throw new TypeError(`display.json: value is not JSON-serialisable: ${(e as Error).message}`);
  }
  if (text === undefined) throw new TypeError(`display.json: value is not JSON-serialisable (found ${typeof obj})`);
  return { data: { "application/json": JSON.parse(text) as unknown, "text/plain": text }, metadata: {} };
};

/** Typed arrays serialise as objects in JSON; plotly expects plain arrays. */
function jsonSafe(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

export function validateFigure(fig: unknown, where = "display.plotly"): PlotlyFigure {
  if (typeof fig !== "object" || fig === null)
    throw new TypeError(`${where}: expected a figure { data, layout }, found ${fig === null ? "null" : typeof fig}`);
  const f = fig as Partial<PlotlyFigure>;
  if (!Array.isArray(f.data))
    throw new TypeError(`${where}: figure.data must be an array of traces, found ${typeof f.data}`);
  f.data.forEach((t, i) => {
    if (typeof t !== "object" || t === null || Array.isArray(t))
      throw new TypeError(`${where}: figure.data[${i}] must be a trace object`);
  });
  if (f.layout !== undefined && (typeof f.layout !== "object" || f.layout === null)) {
    throw new TypeError(`${where}: figure.layout must be an object, found ${typeof f.layout}`);
  }
  return f as PlotlyFigure;
}

/** Static text/html for clients without plotly.js: an inline SVG drawing plus the trace summary. */
export function plotlyFallbackHtml(fig: PlotlyFigure): string {
  let svg = "";
  try {
    svg = figureSvg(fig);
  } catch {
    // A figure the simple renderer cannot draw still gets its summary.
  }
  const summary = figureSummaryHtml(fig);
  return svg
    ? `<div class="peft-plotly-static">${svg}<details><summary>traces</summary>${summary}</details></div>`
    : summary;
}

/** The bundle for a plotly figure: the plotly MIME type plus offline text/html (SVG) and text/plain. */
export function plotlyBundle(figure: PlotlyFigure): MimeResult {
  const fig = validateFigure(figure);
  const payload: Record<string, unknown> = { data: jsonSafe(fig.data), layout: jsonSafe(fig.layout ?? {}) };
  if (fig.config !== undefined) payload.config = jsonSafe(fig.config);
  if (fig.frames !== undefined) payload.frames = jsonSafe(fig.frames);
  return {
    data: { [PLOTLY_MIME]: payload, "text/html": plotlyFallbackHtml(fig), "text/plain": figureSummaryText(fig) },
    metadata: {},
  };
}

const renderRaw: Render<MimeBundle> = (bundle) => {
  if (typeof bundle !== "object" || bundle === null)
    throw new TypeError(`display.raw: expected a MIME bundle object, found ${typeof bundle}`);
  return { data: bundle, metadata: {} };
};

export interface DisplayFunction {
  /** Any value, rendered by toMimeBundle; the handle's update() takes any value too. */
  (value: unknown, opts?: DisplayOptions): DisplayHandle<unknown>;
  html(s: string, opts?: DisplayOptions): DisplayHandle<string>;
  markdown(s: string, opts?: DisplayOptions): DisplayHandle<string>;
  svg(s: string, opts?: DisplayOptions): DisplayHandle<string>;
  png(
    bytesOrBase64: Uint8Array | ArrayBuffer | string,
    opts?: DisplayOptions,
  ): DisplayHandle<Uint8Array | ArrayBuffer | string>;
  json(obj: unknown, opts?: DisplayOptions): DisplayHandle<unknown>;
  plotly(figure: PlotlyFigure, opts?: DisplayOptions): DisplayHandle<PlotlyFigure>;
  /** A ready-made MIME bundle, published as given. */
  raw(bundle: MimeBundle, opts?: DisplayOptions): DisplayHandle<MimeBundle>;
}

export const display: DisplayFunction = Object.assign(
  (value: unknown, opts?: DisplayOptions): DisplayHandle<unknown> => show<unknown>(toMimeBundle, value, opts),
  {
    html: (s: string, opts?: DisplayOptions) => show(renderHtml, s, opts),
    markdown: (s: string, opts?: DisplayOptions) => show(renderMarkdown, s, opts),
    svg: (s: string, opts?: DisplayOptions) => show(renderSvg, s, opts),
    png: (b: Uint8Array | ArrayBuffer | string, opts?: DisplayOptions) => show(renderPng, b, opts),
    json: (obj: unknown, opts?: DisplayOptions) => show(renderJson, obj, opts),
    plotly: (fig: PlotlyFigure, opts?: DisplayOptions) => show(plotlyBundle, fig, opts),
    raw: (bundle: MimeBundle, opts?: DisplayOptions) => show(renderRaw, bundle, opts),
  },
);

/** Clears the cell's output; with wait, only when the next output arrives (no flicker). */
export function clearOutput(opts: { wait?: boolean } = {}): void {
  currentDisplaySink().clear(opts.wait ?? false);
}

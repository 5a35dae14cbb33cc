// One nbformat output to HTML. A MIME bundle shows its richest representation, in the order
// nbconvert prefers, with plotly figures ahead of the HTML fallback that display.plotly adds.
import type { MimeData, Output } from "../notebook/nbformat.js";
import { joinSource } from "../notebook/nbformat.js";
import { renderMarkdown } from "./markdown.js";
import { escapeHtml, scriptSafeJson, terminalText } from "./text.js";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export const MIME_ORDER = [
  PLOTLY_MIME,
  "text/html",
  "image/svg+xml",
  "image/png",
  "image/jpeg",
  "image/gif",
  "text/markdown",
  "application/json",
  "text/plain",
] as const;

/** Shared across one page: numbers plotly figures uniquely and remembers whether any exist. */
export interface RenderContext {
  plotCount: number;
}

export function newRenderContext(): RenderContext {
  return { plotCount: 0 };
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return joinSource(v as string[]);
  return JSON.stringify(v, null, 2) ?? "";
}

export function pickMime(data: MimeData): string | undefined {
  return MIME_ORDER.find((m) => data[m] !== undefined) ?? Object.keys(data).find((m) => m.startsWith("text/"));
}

function pre(cls: string, body: string): string {
  return `<pre class="${cls}">${escapeHtml(terminalText(body))}</pre>`;
}

function renderPlotly(fig: unknown, ctx: RenderContext): string {
  let figure = fig;
  if (typeof fig === "string") {
    try {
      figure = JSON.parse(fig) as unknown;
    } catch (err) {
      return pre("output-error", `${PLOTLY_MIME} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const id = `plotly-figure-${++ctx.plotCount}`;
  return `<div class="plotly-output" id="${id}"></div><script type="application/json" data-plotly-for="${id}">${scriptSafeJson(figure)}</script>`;
}

export function renderMimeBundle(data: MimeData, ctx: RenderContext): string {
  const mime = pickMime(data);
  if (mime === undefined)
    return `<pre class="output-text">[no displayable representation: ${escapeHtml(Object.keys(data).join(", ") || "empty bundle")}]</pre>`;
  const value = data[mime];
  switch (mime) {
    case PLOTLY_MIME:
      return renderPlotly(value, ctx);
    case "text/html":
      return `<div class="output-html">${text(value)}</div>`;
    case "image/svg+xml":
      return `<div class="output-svg">${text(value)}</div>`;
    case "image/png":
    case "image/jpeg":
    case "image/gif":
      return `<img class="output-image" alt="" src="data:${mime};base64,${text(value).replace(/\s+/g, "")}">`;
    case "text/markdown":
      return `<div class="output-markdown">${renderMarkdown(text(value))}</div>`;
    case "application/json":
      return `<pre class="output-json">${escapeHtml(JSON.stringify(value, null, 2) ?? "")}</pre>`;
    default:
      return pre("output-text", text(value));
  }
}

export function renderOutput(out: Output, ctx: RenderContext): string {
  switch (out.output_type) {
    case "stream":
      return pre(`output-stream output-${out.name}`, joinSource(out.text));
    case "display_data":
    case "execute_result":
      return renderMimeBundle(out.data, ctx);
    case "error": {
      const tb = out.traceback.length ? out.traceback.join("\n") : `${out.ename}: ${out.evalue}`;
      return pre("output-error", tb);
    }
  }
}

// One notebook as an HTML <section>: markdown rendered, code with its prompt, every output.
import type { Cell, Notebook } from "../notebook/nbformat.js";
import { cellTags, describeCell, joinSource } from "../notebook/nbformat.js";
import { renderMarkdown } from "./markdown.js";
import { renderOutput, type RenderContext } from "./render-output.js";
import { escapeHtml } from "./text.js";

export interface NotebookRenderOptions {
  /** Show code cell sources (default true); cells tagged hide-input/remove-input never show theirs. */
  showCode?: boolean;
}

interface RunFailure {
  cellIndex?: number;
  message?: string;
}

function failureOf(nb: Notebook): RunFailure | undefined {
  const meta = nb.metadata.peft_nb as { failure?: RunFailure } | undefined;
  return meta?.failure;
}

function renderCell(
  cell: Cell,
  index: number,
  ctx: RenderContext,
  opts: NotebookRenderOptions,
  failedAt?: number,
): string {
  const tags = cellTags(cell);
  if (tags.includes("remove-cell")) return "";
  const src = joinSource(cell.source);
  if (cell.cell_type === "markdown") return `<div class="cell markdown-cell">${renderMarkdown(src)}</div>`;
  if (cell.cell_type === "raw") return `<div class="cell raw-cell"><pre>${escapeHtml(src)}</pre></div>`;
  const showInput = opts.showCode !== false && !tags.includes("hide-input") && !tags.includes("remove-input");
  const prompt = cell.execution_count === null ? "&nbsp;" : String(cell.execution_count);
  const failed = failedAt === index;
  const input = showInput
    ? `<div class="input"><div class="prompt">In [${prompt}]:</div><pre class="source"><code class="language-typescript">${escapeHtml(src)}</code></pre></div>`
    : "";
  const outputs = tags.includes("remove-output")
    ? ""
    : cell.outputs.map((o) => `<div class="output">${renderOutput(o, ctx)}</div>`).join("");
  if (!input && !outputs) return "";
  return `<div class="cell code-cell${failed ? " failed" : ""}" id="${escapeHtml(cell.id ? `cell-${cell.id}` : `cell-${index + 1}`)}" data-cell="${escapeHtml(describeCell(index, cell))}">${input}${outputs ? `<div class="outputs">${outputs}</div>` : ""}</div>`;
}

export function renderNotebookSection(
  nb: Notebook,
  title: string,
  anchor: string,
  ctx: RenderContext,
  opts: NotebookRenderOptions = {},
): string {
  const failure = failureOf(nb);
  const banner = failure
    ? `<div class="run-failure" role="alert">Execution stopped: ${escapeHtml(failure.message ?? "a cell failed")}</div>`
    : "";
  const cells = nb.cells.map((c, i) => renderCell(c, i, ctx, opts, failure?.cellIndex)).join("\n");
  return `<section class="notebook" id="${escapeHtml(anchor)}"><h1 class="notebook-title">${escapeHtml(title)}</h1>${banner}\n${cells}\n</section>`;
}

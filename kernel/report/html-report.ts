// A standalone HTML page from one or several executed notebooks: opens from disk with a double
// click, needs no network, carries plotly.js inline once when any figure needs it.
import { writeFileSync } from "node:fs";
import type { MimeData, Notebook } from "../notebook/nbformat.js";
import { renderMarkdown } from "./markdown.js";
import { plotlySource } from "./plotly-bundle.js";
import { renderNotebookSection, type NotebookRenderOptions } from "./render-notebook.js";
import { newRenderContext, renderMimeBundle, type RenderContext } from "./render-output.js";
import { escapeHtml } from "./text.js";

export interface ReportEntry {
  title: string;
  notebook: Notebook;
}

export interface ReportOptions extends NotebookRenderOptions {
  /** Page title; defaults to the only notebook's title, or "Report". */
  title?: string;
  /** Markdown-free HTML placed above the notebooks (e.g. a summary table). Trusted. */
  preambleHtml?: string;
  /**
   * What the page leads with, above the notebooks: per notebook its tables, figures and verdicts as
   * MIME bundles (plotly figures drawn like any output).
   */
  results?: ResultSection[];
  /** Each notebook (code and outputs) folded in a <details> below the results; default: open when there are no results. */
  foldNotebooks?: boolean;
}

/** One notebook's results at the head of the page. */
export interface ResultSection {
  title: string;
  /** Why the notebook's results are missing or partial (shown as an alert). */
  failure?: string;
  /** In order: outputs (tables as HTML, figures as plotly JSON) and verdicts (Markdown). */
  items: Array<{ output: MimeData } | { verdict: string }>;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:0 auto;padding:1.5rem;color:#1f2328;line-height:1.5}
nav.toc{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin-bottom:1.5rem}
section.notebook{border-top:2px solid #d0d7de;padding-top:1rem;margin-top:2rem}
.cell{margin:.75rem 0}
.input{display:flex;gap:.5rem}
.prompt{color:#57606a;font-family:monospace;min-width:5.5em;text-align:right;padding-top:.5rem;flex:none}
pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;white-space:pre-wrap;word-break:break-word;margin:0}
pre.source{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.5rem;flex:1;overflow:auto}
.outputs{margin-left:6em;padding:.25rem 0}
.output{margin:.25rem 0;overflow-x:auto}
.output-stderr{background:#fff5f5}
.output-error{background:#ffebe9;color:#82071e;padding:.5rem;border-radius:6px}
.code-cell.failed{border-left:4px solid #cf222e;padding-left:.5rem}
.run-failure{background:#ffebe9;border:1px solid #cf222e;border-radius:6px;padding:.5rem 1rem;color:#82071e}
.output-image{max-width:100%}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.25rem .5rem}
.plotly-output{min-height:360px}
section.results{margin-top:1.5rem}
section.result{border-top:2px solid #d0d7de;margin-top:1.5rem}
.verdict{background:#f6f8fa;border-left:4px solid #4c8bf5;padding:.25rem .75rem;margin:.5rem 0 1.25rem}
details.notebook-fold{margin-top:1rem}
details.notebook-fold>summary{cursor:pointer;font-weight:600;padding:.25rem 0}
`;

// Renders every figure placeholder; a figure that fails shows its error instead of a blank box.
const PLOTLY_BOOT = `
(function(){
  var nodes=document.querySelectorAll('script[data-plotly-for]');
  for(var i=0;i<nodes.length;i++){
    var el=document.getElementById(nodes[i].getAttribute('data-plotly-for'));
    try{
      var fig=JSON.parse(nodes[i].textContent);
      var cfg=Object.assign({responsive:true,displaylogo:false},fig.config||{});
      Plotly.newPlot(el,{data:fig.data||[],layout:fig.layout||{},frames:fig.frames,config:cfg});
    }catch(e){el.textContent='plotly figure failed: '+e;}
  }
  // A figure drawn inside a folded notebook took its size while hidden: refit it when unfolded.
  var folds=document.querySelectorAll('details.notebook-fold');
  for(var j=0;j<folds.length;j++){
    folds[j].addEventListener('toggle',function(ev){
      if(!ev.target.open)return;
      var figs=ev.target.querySelectorAll('.plotly-output');
      for(var k=0;k<figs.length;k++){try{Plotly.Plots.resize(figs[k]);}catch(e){}}
    });
  }
})();
`;

function slug(title: string, used: Set<string>): string {
  const base =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "notebook";
  let s = base;
  for (let i = 2; used.has(s); i++) s = `${base}-${i}`;
  used.add(s);
  return s;
}

/** The reusable entry point: one page for any number of executed notebooks, in order. */
export function buildHtmlReport(entries: ReportEntry[], opts: ReportOptions = {}): string {
  if (entries.length === 0 && !opts.preambleHtml) throw new Error("buildHtmlReport: no notebooks given");
  const ctx = newRenderContext();
  const used = new Set<string>();
  const anchors = entries.map((e) => slug(e.title, used));
  const results = opts.results ?? [];
  const resultAnchors = results.map((r) => slug(`results ${r.title}`, used));
  const lead = results.length ? renderResults(results, resultAnchors, ctx) : "";
  const fold = opts.foldNotebooks ?? results.length > 0;
  const sections = entries
    .map((e, i) => {
      const html = renderNotebookSection(e.notebook, e.title, anchors[i]!, ctx, opts);
      return fold
        ? `<details class="notebook-fold"><summary>${escapeHtml(e.title)}: the notebook (code and outputs)${failed(e.notebook) ? " (failed)" : ""}</summary>\n${html}\n</details>`
        : html;
    })
    .join("\n");
  const title = opts.title ?? (entries.length === 1 ? entries[0]!.title : "Report");
  // One notebook carries its own title; a page of results, or of several notebooks, needs one.
  const heading = entries.length === 1 && !opts.results?.length ? "" : `<h1>${escapeHtml(title)}</h1>`;
  const notebookToc = entries
    .map(
      (e, i) => `<li><a href="#${anchors[i]}">${escapeHtml(e.title)}</a>${failed(e.notebook) ? " (failed)" : ""}</li>`,
    )
    .join("");
  const toc =
    results.length > 0
      ? `<nav class="toc"><strong>Results</strong><ol>${results.map((r, i) => `<li><a href="#${resultAnchors[i]}">${escapeHtml(r.title)}</a>${r.failure ? " (failed)" : ""}</li>`).join("")}</ol>${entries.length ? `<strong>Notebooks (code, folded below)</strong><ol>${notebookToc}</ol>` : ""}</nav>`
      : entries.length > 1
        ? `<nav class="toc"><strong>Contents</strong><ol>${notebookToc}</ol></nav>`
        : "";
  const plotly = ctx.plotCount > 0 ? `<script>${plotlySource()}</script>\n<script>${PLOTLY_BOOT}</script>` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="peft-nb">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${heading}${opts.preambleHtml ?? ""}${toc}
${lead}
${sections}
${plotly}
</body>
</html>
`;
}

function renderResults(results: readonly ResultSection[], anchors: readonly string[], ctx: RenderContext): string {
  const parts = results.map((r, i) => {
    const alert = r.failure ? `<div class="run-failure" role="alert">${escapeHtml(r.failure)}</div>` : "";
    const outputs = r.items
      .map((it) =>
        "verdict" in it
          ? `<div class="verdict">${renderMarkdown(it.verdict)}</div>`
          : `<div class="output">${renderMimeBundle(it.output, ctx)}</div>`,
      )
      .join("\n");
    return `<section class="result" id="${escapeHtml(anchors[i]!)}"><h2>${escapeHtml(r.title)}</h2>${alert}\n${outputs}</section>`;
  });
  return `<section class="results">${parts.join("\n")}</section>`;
}

function failed(nb: Notebook): boolean {
  return (nb.metadata.peft_nb as { status?: string } | undefined)?.status === "failed";
}

export function buildNotebookReport(nb: Notebook, title: string, opts: ReportOptions = {}): string {
  return buildHtmlReport([{ title, notebook: nb }], opts);
}

export function writeHtmlReport(path: string, entries: ReportEntry[], opts: ReportOptions = {}): void {
  writeFileSync(path, buildHtmlReport(entries, opts));
}

/** A title for a notebook: its first markdown heading, else the file name without extension. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const m = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(Array.isArray(c.source) ? c.source.join("") : c.source);
    if (m) return m[1]!;
  }
  return fallback;
}

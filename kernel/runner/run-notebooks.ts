// Several notebooks in one go, as a reproduction pipeline needs: each runs in a fresh kernel, a
// failed cell stops only its own notebook, every executed notebook is written, and one HTML
// report gathers them all.
import { mkdirSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { readNotebook, writeNotebook } from "../notebook/notebook-file.js";
import type { Notebook } from "../notebook/nbformat.js";
import type { Parameters } from "../notebook/parameters.js";
import { writeHtmlReport, notebookTitle, type ReportOptions } from "../report/html-report.js";
import { escapeHtml } from "../report/text.js";
import { executeNotebook, type CellFailure, type RunOptions } from "./execute-notebook.js";

export interface NotebookJob {
  path: string;
  /** Per-notebook parameters, merged over the shared ones. */
  parameters?: Parameters;
  /** Title in the report; defaults to the notebook's first heading. */
  title?: string;
}

export interface RunNotebooksOptions extends Omit<RunOptions, "client" | "parameters" | "cwd"> {
  /** Executed notebooks go here, under their own file names. */
  outDir: string;
  /** Shared parameters for every notebook. */
  parameters?: Parameters;
  /** Write one report with every notebook here (absolute, or relative to outDir). */
  htmlReport?: string;
  report?: ReportOptions;
  /** Called as each notebook finishes. */
  onNotebook?(result: NotebookRunSummary): void;
}

export interface NotebookRunSummary {
  path: string;
  output: string;
  title: string;
  ok: boolean;
  failure?: CellFailure;
  /** Set when the notebook could not be read or its kernel not started. */
  error?: string;
  seconds: number;
  notebook?: Notebook;
}

export async function runNotebooks(jobs: NotebookJob[], opts: RunNotebooksOptions): Promise<NotebookRunSummary[]> {
  mkdirSync(opts.outDir, { recursive: true });
  const results: NotebookRunSummary[] = [];
  for (const job of jobs) {
    const path = resolve(job.path);
    const output = join(opts.outDir, basename(path));
    const t0 = performance.now();
    let summary: NotebookRunSummary;
    try {
      const nb = readNotebook(path);
      const params = { ...opts.parameters, ...job.parameters };
      const r = await executeNotebook(nb, {
        ...opts,
        cwd: dirname(path),
        parameters: Object.keys(params).length ? params : undefined,
      });
      writeNotebook(output, r.notebook);
      summary = {
        path,
        output,
        title: job.title ?? notebookTitle(r.notebook, basename(path, extname(path))),
        ok: r.ok,
        ...(r.failure ? { failure: r.failure } : {}),
        seconds: (performance.now() - t0) / 1000,
        notebook: r.notebook,
      };
    } catch (err) {
      summary = {
        path,
        output,
        title: job.title ?? basename(path, extname(path)),
        ok: false,
        error: (err as Error).message,
        seconds: (performance.now() - t0) / 1000,
      };
    }
    results.push(summary);
    opts.onNotebook?.(summary);
  }
  if (opts.htmlReport) {
    const entries = results.filter((r) => r.notebook).map((r) => ({ title: r.title, notebook: r.notebook! }));
    // Notebooks that never ran still get a line, so the report cannot silently omit them.
    const missing = results.filter((r) => r.error);
    const note = missing.length
      ? `<div class="run-failure" role="alert">Not run:<ul>${missing.map((r) => `<li>${escapeHtml(r.title)}: ${escapeHtml(r.error!)}</li>`).join("")}</ul></div>`
      : "";
    if (entries.length > 0 || note) {
      writeHtmlReport(resolve(opts.outDir, opts.htmlReport), entries, {
        ...opts.report,
        preambleHtml: (opts.report?.preambleHtml ?? "") + note,
      });
    }
  }
  return results;
}

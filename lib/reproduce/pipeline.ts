// `peft-nb reproduce` without the kernel: runs each reproduction notebook through an executor it
// is given (the CLI passes kernel/runner's), gathers the tables and figures each one saved, and
// writes the executed notebooks, one HTML report and a summary under one folder. Keeping the
// kernel out of lib/ (architecture.md) also lets tests drive the pipeline with a fake executor.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { escapeHtml } from "../display/escape.js";
import type { ProgressReport } from "../display/progress-report.js";
import { tableToHtml, tableToMarkdown, type Table } from "../plots/table.js";
import { listReproductions, notebookPath, selectReproductions, type Scale } from "./catalog.js";
import { readManifest, type SavedFigure, type SavedTable } from "./outputs.js";
import { progressLogger } from "./progress-lines.js";
import { resultSections, type ResultSection } from "./report-results.js";

export type { ResultSection } from "./report-results.js";

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };

/** The nbformat fields the pipeline touches; kernel/notebook's Notebook satisfies it. */
export interface NotebookLike {
  metadata: Record<string, unknown>;
  cells: unknown[];
}

export interface Execution<N extends NotebookLike> {
  notebook: N;
  ok: boolean;
  failure?: { message: string };
}

export interface PipelineDeps<N extends NotebookLike> {
  readNotebook(path: string): N;
  writeNotebook(path: string, nb: N): void;
  execute(
    nb: N,
    opts: {
      cwd: string;
      parameters: Record<string, ParameterValue>;
      onCell?(index: number): void;
      /** Progress the notebook published (lib/display progress bars with a `kind`). */
      onProgress?(report: ProgressReport): void;
    },
  ): Promise<Execution<N>>;
  buildReport(
    entries: Array<{ title: string; notebook: N }>,
    opts: { title: string; preambleHtml: string; results: ResultSection[]; foldNotebooks: boolean },
  ): string;
  notebookTitle(nb: N, fallback: string): string;
}

export interface ReproduceOptions {
  reproductionsDir: string;
  outDir: string;
  scale: Scale;
  /** Base seed passed to every notebook (default 0). */
  seed?: number;
  only?: string[];
  /** Extra `-p name=value` parameters; they override scale/seed/outputDir. */
  parameters?: Record<string, ParameterValue>;
  log?(line: string): void;
}

export interface ReproductionResult {
  name: string;
  title: string;
  ok: boolean;
  seconds: number;
  failure?: string;
  notebook: string;
  outputDir: string;
  tables: SavedTable[];
  figures: SavedFigure[];
}

export interface ReproduceSummary {
  ok: boolean;
  scale: Scale;
  seed: number;
  seconds: number;
  results: ReproductionResult[];
  report: string;
  summary: string;
}

export const REPRODUCE_REPORT_FILE = "report.html";
export const REPRODUCE_SUMMARY_FILE = "summary.md";
export const REPRODUCE_SUMMARY_JSON = "summary.json";

export async function runReproductions<N extends NotebookLike>(
  opts: ReproduceOptions,
  deps: PipelineDeps<N>,
): Promise<ReproduceSummary> {
  const log = opts.log ?? (() => undefined);
  const dir = resolve(opts.reproductionsDir);
  const out = resolve(opts.outDir);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, found ${seed}`);
  const names = selectReproductions(listReproductions(dir), opts.only);
  if (names.length === 0) throw new Error(`no reproduction notebooks (*.ipynb) in ${dir}`);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const results: ReproductionResult[] = [];
  const executed: Array<{ title: string; notebook: N }> = [];
  for (const [i, name] of names.entries()) {
    const outputDir = join(out, name);
    // A stale table from an earlier run must never reach this run's report.
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true });
    const parameters: Record<string, ParameterValue> = {
      scale: opts.scale,
      seed,
      outputDir,
      ...(opts.parameters ?? {}),
    };
    log(`[${i + 1}/${names.length}] ${name} (scale ${opts.scale}, seed ${seed})`);
    const started = performance.now();
    let nb: N | undefined;
    let title = name;
    let ok = false;
    let failure: string | undefined;
    try {
      const input = deps.readNotebook(notebookPath(dir, name));
      title = deps.notebookTitle(input, name);
      const r = await deps.execute(input, {
        cwd: dir,
        parameters,
        onCell: (c) => log(`  ${name}: cell ${c + 1}`),
        onProgress: progressLogger(name, started, log),
      });
      nb = r.notebook;
      ok = r.ok;
      failure = r.ok ? undefined : (r.failure?.message ?? "failed without a message");
    } catch (err) {
      // The kernel did not start or the notebook did not parse: this one failed, the others still run.
      failure = `could not run: ${(err as Error).message}`;
    }
    const seconds = (performance.now() - started) / 1000;
    const nbFile = join(out, `${name}.ipynb`);
    if (nb) {
      deps.writeNotebook(nbFile, nb);
      executed.push({ title, notebook: nb });
    }
    let manifest = { tables: [] as SavedTable[], figures: [] as SavedFigure[] };
    try {
      manifest = readManifest(outputDir);
    } catch (err) {
      failure = failure ?? (err as Error).message;
      ok = false;
    }
    results.push({
      name,
      title,
      ok,
      seconds,
      ...(failure ? { failure } : {}),
      notebook: nbFile,
      outputDir,
      tables: manifest.tables,
      figures: manifest.figures,
    });
    log(
      `  ${name}: ${ok ? "ok" : `FAILED: ${failure}`} in ${seconds.toFixed(1)} s, ${manifest.tables.length} tables, ${manifest.figures.length} figures`,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const report = join(out, REPRODUCE_REPORT_FILE);
  const summaryTable = summaryAsTable(results, seconds);
  if (executed.length > 0) {
    writeFileSync(
      report,
      deps.buildReport(executed, {
        title: `Reproduction of arXiv 2507.18076 (scale ${opts.scale}, seed ${seed})`,
        preambleHtml: preamble(summaryTable, opts.scale, seed),
        results: resultSections(results),
        foldNotebooks: true,
      }),
    );
  }
  const summary = join(out, REPRODUCE_SUMMARY_FILE);
  writeFileSync(
    summary,
    `# Reproduction summary (scale ${opts.scale}, seed ${seed})\n\n${tableToMarkdown(summaryTable)}\n\n${tablesIndex(results, out)}`,
  );
  const ok = results.every((r) => r.ok);
  writeFileSync(
    join(out, REPRODUCE_SUMMARY_JSON),
    `${JSON.stringify({ ok, scale: opts.scale, seed, seconds, results }, null, 1)}\n`,
  );
  return { ok, scale: opts.scale, seed, seconds, results, report, summary };
}

function summaryAsTable(results: readonly ReproductionResult[], seconds: number): Table {
  return {
    columns: ["reproduction", "status", "seconds", "tables", "figures", "message"],
    rows: [
      ...results.map((r) => [
        r.name,
        r.ok ? "ok" : "FAILED",
        Math.round(r.seconds * 10) / 10,
        r.tables.length,
        r.figures.length,
        r.failure ?? "",
      ]),
      [
        "total",
        results.every((r) => r.ok) ? "ok" : `${results.filter((r) => !r.ok).length} failed`,
        Math.round(seconds * 10) / 10,
        results.reduce((a, r) => a + r.tables.length, 0),
        results.reduce((a, r) => a + r.figures.length, 0),
        "",
      ],
    ],
    digits: 1,
  };
}

function preamble(t: Table, scale: Scale, seed: number): string {
  return `<section class="summary"><p>Every reproduction notebook executed headless through the peft-nb kernel at scale <code>${escapeHtml(scale)}</code> with seed ${seed}. The results come first, each table and figure with its verdict (what holds, what does not, what is at floor); each notebook's code and full output is folded below them. Tables are also saved as CSV and Markdown next to this file.</p>${tableToHtml(t)}</section>`;
}

function tablesIndex(results: readonly ReproductionResult[], out: string): string {
  const lines = ["## Tables", ""];
  for (const r of results)
    for (const t of r.tables)
      lines.push(
        `- ${r.name} / ${t.name}${t.caption ? `: ${t.caption}` : ""} (${t.csv.replace(`${out}/`, "")}, ${t.markdown.replace(`${out}/`, "")})`,
      );
  return `${lines.join("\n")}\n`;
}

/** The end-of-run lines for a terminal. */
export function summaryLines(s: ReproduceSummary): string[] {
  const failed = s.results.filter((r) => !r.ok);
  return [
    ...s.results.map(
      (r) =>
        `${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.tables.length} tables, ${r.figures.length} figures${r.failure ? `  ${r.failure}` : ""}`,
    ),
    `${s.results.length - failed.length}/${s.results.length} reproductions ok in ${s.seconds.toFixed(1)} s (scale ${s.scale}, seed ${s.seed})`,
    `report: ${s.report}`,
    `summary: ${s.summary}`,
  ];
}

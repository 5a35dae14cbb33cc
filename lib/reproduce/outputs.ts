// Where a reproduction notebook puts its results: every table as CSV, Markdown and JSON (the JSON
// keeps mean ± std as numbers, so tests and the pipeline can check them), every figure as plotly
// JSON, and a manifest the pipeline reads to gather them into one report.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { display } from "../display/display.js";
import type { PlotlyFigure } from "../plots/figure.js";
import { displayTable, tableToCsv, tableToMarkdown, validateTable, type Table } from "../plots/table.js";

export const MANIFEST_FILE = "manifest.json";

export interface SavedTable {
  name: string;
  caption?: string;
  csv: string;
  markdown: string;
  json: string;
  /** Holds wall-clock or memory measurements, which differ between runs even with the same seed. */
  measured: boolean;
  /** What the table shows, in a sentence or two (what holds, what does not, what is at floor); the report leads with it. */
  verdict?: string;
}

export interface SavedFigure {
  name: string;
  json: string;
  verdict?: string;
}

export interface Manifest {
  tables: SavedTable[];
  figures: SavedFigure[];
}

export interface OutputSaveOptions {
  /** Also show it in the notebook (default true). */
  display?: boolean;
  /** The reader's conclusion (Markdown): what holds, what does not, what is at floor. Shown beside it in the report. */
  verdict?: string;
}

export interface OutputSaveTableOptions extends OutputSaveOptions {
  measured?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkName(name: string, what: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new Error(
      `save${what}: name must be letters, digits, '.', '_' or '-' (it becomes a file name), found ${JSON.stringify(name)}`,
    );
  }
}

function verdictOf(name: string, opts: OutputSaveOptions): { verdict?: string } {
  if (opts.verdict === undefined) return {};
  if (typeof opts.verdict !== "string" || opts.verdict.trim() === "")
    throw new Error(`save('${name}'): verdict must be a non-empty string, found ${JSON.stringify(opts.verdict)}`);
  return { verdict: opts.verdict.trim() };
}

export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return { tables: [], figures: [] };
  let parsed: Manifest;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed.tables) || !Array.isArray(parsed.figures))
    throw new Error(`${file}: expected {tables: [], figures: []}`);
  return parsed;
}

/** Replaces an entry of the same name, so re-running a cell does not list a table twice. */
function upsert<T extends { name: string }>(list: T[], entry: T): T[] {
  return [...list.filter((e) => e.name !== entry.name), entry];
}

export class ReproductionOutput {
  readonly dir: string;

  constructor(outputDir: string) {
    if (typeof outputDir !== "string" || outputDir.trim() === "")
      throw new Error(`reproductionOutput: outputDir must be a folder path, found ${JSON.stringify(outputDir)}`);
    this.dir = resolve(outputDir);
    mkdirSync(join(this.dir, "tables"), { recursive: true });
    mkdirSync(join(this.dir, "figures"), { recursive: true });
  }

  /**
   * Writes tables/<name>.{csv,md,json} and shows the table. Returns nothing, so a notebook cell
   * ending with it shows the table and not a file listing; the paths are in manifest().
   */
  saveTable(name: string, table: Table, opts: OutputSaveTableOptions = {}): void {
    checkName(name, "Table");
    validateTable(table, `saveTable('${name}')`);
    const base = join(this.dir, "tables", name);
    const entry: SavedTable = {
      name,
      csv: `${base}.csv`,
      markdown: `${base}.md`,
      json: `${base}.json`,
      measured: opts.measured ?? false,
      ...(table.caption ? { caption: table.caption } : {}),
      ...verdictOf(name, opts),
    };
    writeFileSync(entry.csv, tableToCsv(table));
    const md = tableToMarkdown(table);
    writeFileSync(entry.markdown, `${md}\n`);
    writeFileSync(entry.json, `${JSON.stringify(table, null, 1)}\n`);
    this.record((m) => ({ ...m, tables: upsert(m.tables, entry) }));
    if (opts.display ?? true) {
      displayTable(table);
      if (entry.verdict) display.markdown(`**Verdict.** ${entry.verdict}`);
    }
  }

  /** Writes figures/<name>.plotly.json and shows the figure. */
  saveFigure(name: string, figure: PlotlyFigure, opts: OutputSaveOptions = {}): void {
    checkName(name, "Figure");
    if (!figure || !Array.isArray((figure as { data?: unknown }).data))
      throw new Error(
        `saveFigure('${name}'): expected a plotly figure {data: [...], layout}, found ${JSON.stringify(figure)?.slice(0, 80)}`,
      );
    const entry: SavedFigure = {
      name,
      json: join(this.dir, "figures", `${name}.plotly.json`),
      ...verdictOf(name, opts),
    };
    writeFileSync(entry.json, `${JSON.stringify(figure)}\n`);
    this.record((m) => ({ ...m, figures: upsert(m.figures, entry) }));
    if (opts.display ?? true) {
      display.plotly(figure);
      if (entry.verdict) display.markdown(`**Verdict.** ${entry.verdict}`);
    }
  }

  manifest(): Manifest {
    return readManifest(this.dir);
  }

  private record(update: (m: Manifest) => Manifest): void {
    writeFileSync(join(this.dir, MANIFEST_FILE), `${JSON.stringify(update(readManifest(this.dir)), null, 1)}\n`);
  }
}

export function reproductionOutput(outputDir: string): ReproductionOutput {
  return new ReproductionOutput(outputDir);
}

// Result tables: one data structure rendered as HTML, Markdown, CSV and aligned text, so a
// notebook, a report and a paper draft show the same numbers with the same rounding.

import { display, type DisplayHandle, type DisplayOptions } from "../display/display.js";
import { escapeHtml } from "../display/escape.js";

export interface MeanStd {
  mean: number;
  std: number;
}

export type Cell = string | number | MeanStd | null;

export interface Table {
  columns: string[];
  rows: Cell[][];
  caption?: string;
  /** Decimal places for non-integer numbers and mean ± std: one for all columns or one per column. */
  digits?: number | number[];
}

function isMeanStd(c: unknown): c is MeanStd {
  return (
    typeof c === "object" &&
    c !== null &&
    typeof (c as MeanStd).mean === "number" &&
    typeof (c as MeanStd).std === "number"
  );
}

export function validateTable(t: Table, where = "table"): void {
  if (!Array.isArray(t?.columns) || t.columns.some((c) => typeof c !== "string")) {
    throw new TypeError(`${where}: "columns" must be an array of strings`);
  }
  if (!Array.isArray(t.rows)) throw new TypeError(`${where}: "rows" must be an array of arrays`);
  t.rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new TypeError(`${where}: row ${i} must be an array`);
    if (row.length !== t.columns.length) {
      throw new RangeError(`${where}: row ${i} has ${row.length} cells; expected ${t.columns.length} (one per column)`);
    }
    row.forEach((c, j) => {
      if (c === null || typeof c === "string" || typeof c === "number" || isMeanStd(c)) return;
      throw new TypeError(
        `${where}: row ${i} column "${t.columns[j]}" must be a string, number, {mean, std} or null; found ${JSON.stringify(c)}`,
      );
    });
  });
  if (Array.isArray(t.digits) && t.digits.length !== t.columns.length) {
    throw new RangeError(`${where}: "digits" has ${t.digits.length} entries; expected ${t.columns.length}`);
  }
}

function fixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s; // no "-0.00"
}

/** The text of one cell: integers as they are, other numbers with `digits` decimals, `mean ± std`. */
export function formatCell(c: Cell, digits = 3): string {
  if (c === null) return "";
  if (typeof c === "string") return c;
  if (typeof c === "number") return Number.isInteger(c) ? String(c) : fixed(c, digits);
  return `${fixed(c.mean, digits)} ± ${fixed(c.std, digits)}`;
}

function digitsFor(t: Table, j: number): number {
  return Array.isArray(t.digits) ? t.digits[j]! : (t.digits ?? 3);
}

function formatted(t: Table): string[][] {
  validateTable(t);
  return t.rows.map((row) => row.map((c, j) => formatCell(c, digitsFor(t, j))));
}

/** A column is numeric when every non-empty cell is a number or mean ± std: it is right-aligned. */
function numericColumns(t: Table): boolean[] {
  return t.columns.map((_, j) => {
    const cells = t.rows.map((r) => r[j]).filter((c) => c !== null);
    return cells.length > 0 && cells.every((c) => typeof c === "number" || isMeanStd(c));
  });
}

export function tableToHtml(t: Table): string {
  const cells = formatted(t);
  const num = numericColumns(t);
  const align = (j: number) => (num[j] ? ` style="text-align:right"` : "");
  const head = t.columns.map((c, j) => `<th${align(j)}>${escapeHtml(c)}</th>`).join("");
  const body = cells
    .map((row) => `<tr>${row.map((c, j) => `<td${align(j)}>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  const caption = t.caption !== undefined ? `<caption>${escapeHtml(t.caption)}</caption>` : "";
  return `<table class="peft-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** Escapes Markdown table syntax and inline markup; line breaks become <br>, since a row is one line. */
export function escapeMarkdownCell(s: string): string {
  return s
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([|`*_[\]#~])/g, "\\$1")
    .replace(/\r\n|\r|\n/g, "<br>");
}

export function tableToMarkdown(t: Table): string {
  const cells = formatted(t);
  const num = numericColumns(t);
  const line = (cs: string[]) => `| ${cs.map(escapeMarkdownCell).join(" | ")} |`;
  const rule = `|${t.columns.map((_, j) => (num[j] ? " ---: " : " --- ")).join("|")}|`;
  const out = [line(t.columns), rule, ...cells.map(line)];
  if (t.caption !== undefined) out.unshift(`**${escapeMarkdownCell(t.caption)}**`, "");
  return out.join("\n");
}

/** RFC 4180: fields with a comma, quote, line break or edge whitespace are quoted, quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tableToCsv(t: Table): string {
  const cells = formatted(t);
  return `${[t.columns, ...cells].map((r) => r.map(csvField).join(",")).join("\r\n")}\r\n`;
}

/** Columns padded to width, for terminals. */
export function tableToText(t: Table): string {
  const cells = formatted(t);
  const num = numericColumns(t);
  const all = [t.columns, ...cells].map((r) => r.map((c) => c.replace(/\r\n|\r|\n/g, " ")));
  const widths = t.columns.map((_, j) => Math.max(...all.map((r) => [...r[j]!].length)));
  const pad = (s: string, j: number) => {
    const fill = " ".repeat(widths[j]! - [...s].length);
    return num[j] ? fill + s : s + fill;
  };
  const lines = all.map((r) => r.map(pad).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  if (t.caption !== undefined) lines.unshift(t.caption);
  return lines.join("\n");
}

/** The MIME bundle of a table: HTML for notebooks, Markdown for exports, aligned text for terminals. */
export function tableBundle(t: Table): Record<string, unknown> {
  return { "text/html": tableToHtml(t), "text/markdown": tableToMarkdown(t), "text/plain": tableToText(t) };
}

/** Displays a table; the handle's update() takes a new table. */
export function displayTable(t: Table, opts?: DisplayOptions): DisplayHandle<Table> {
  const first = display.raw(tableBundle(t), opts);
  return { id: first.id, update: (next: Table) => first.update(tableBundle(next)) };
}

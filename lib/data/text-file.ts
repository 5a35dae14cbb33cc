// Line-oriented readers for the TSV and JSONL files, with 1-based line numbers for error messages.
import { readFileSync } from "node:fs";
import { DataFormatError, preview } from "./errors.js";

export interface NumberedLine {
  line: number;
  text: string;
}

/** Lines of a UTF-8 file without BOM; tolerates a missing final newline and CRLF; skips blank lines. */
export function readLines(file: string): NumberedLine[] {
  let text = readFileSync(file, "utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: NumberedLine[] = [];
  const parts = text.split("\n");
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i].endsWith("\r") ? parts[i].slice(0, -1) : parts[i];
    if (t.trim() !== "") out.push({ line: i + 1, text: t });
  }
  return out;
}

/**
 * Rows of a TSV file without quoting (GLUE's files contain bare double quotes, so CSV rules would
 * merge rows). Checks the header when given and the column count of every row.
 */
export function readTsv(
  file: string,
  columns: number,
  header?: readonly string[],
): { line: number; cells: string[] }[] {
  const lines = readLines(file);
  if (header) {
    const first = lines.shift();
    const found = first?.text.split("\t") ?? [];
    if (found.length !== header.length || found.some((h, i) => h !== header[i])) {
      throw new DataFormatError(
        file,
        first?.line ?? 1,
        "header",
        `expected ${preview(header.join("\\t"))}, found ${preview(first?.text ?? "")}`,
      );
    }
  }
  return lines.map(({ line, text }) => {
    const cells = text.split("\t");
    if (cells.length !== columns) {
      throw new DataFormatError(
        file,
        line,
        undefined,
        `expected ${columns} tab-separated columns, found ${cells.length}: ${preview(text)}`,
      );
    }
    return { line, cells };
  });
}

/** Parsed JSON objects of a JSONL file. */
export function readJsonl(file: string): { line: number; value: Record<string, unknown> }[] {
  return readLines(file).map(({ line, text }) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new DataFormatError(file, line, undefined, `invalid JSON (${(e as Error).message})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new DataFormatError(file, line, undefined, `expected a JSON object, found ${preview(value)}`);
    }
    return { line, value: value as Record<string, unknown> };
  });
}

/** A required string field of a JSONL record. */
export function stringField(file: string, line: number, obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== "string") {
    throw new DataFormatError(
      file,
      line,
      field,
      v === undefined ? "missing, expected a string" : `expected a string, found ${preview(v)}`,
    );
  }
  return v;
}

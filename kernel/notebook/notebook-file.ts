// Reading, validating and writing .ipynb files. Validation checks the structure the runner and
// report rely on and names the file, cell and field on failure, so a bad notebook never surfaces
// as a TypeError deep in the runner.
import { readFileSync, writeFileSync } from "node:fs";
import type { Cell, Notebook, Output } from "./nbformat.js";

export class NotebookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotebookFormatError";
  }
}

const CELL_TYPES = new Set(["code", "markdown", "raw"]);
const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isMultiline(v: unknown): boolean {
  return typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string"));
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function validateOutput(o: unknown, where: string): void {
  if (!isObject(o)) throw new NotebookFormatError(`${where}: expected an object, found ${kind(o)}`);
  if (typeof o.output_type !== "string" || !OUTPUT_TYPES.has(o.output_type)) {
    throw new NotebookFormatError(
      `${where}: output_type must be one of ${[...OUTPUT_TYPES].join(", ")}, found ${JSON.stringify(o.output_type)}`,
    );
  }
  switch (o.output_type) {
    case "stream":
      if (o.name !== "stdout" && o.name !== "stderr")
        throw new NotebookFormatError(
          `${where}: stream name must be stdout or stderr, found ${JSON.stringify(o.name)}`,
        );
      if (!isMultiline(o.text))
        throw new NotebookFormatError(
          `${where}: stream text must be a string or list of strings, found ${kind(o.text)}`,
        );
      break;
    case "display_data":
    case "execute_result":
      if (!isObject(o.data))
        throw new NotebookFormatError(`${where}: data must be a MIME bundle object, found ${kind(o.data)}`);
      if (o.metadata === undefined) o.metadata = {};
      break;
    case "error":
      if (typeof o.ename !== "string" || typeof o.evalue !== "string" || !Array.isArray(o.traceback)) {
        throw new NotebookFormatError(
          `${where}: an error output needs string ename, string evalue and a traceback list`,
        );
      }
      break;
  }
}

function validateCell(c: unknown, where: string): void {
  if (!isObject(c)) throw new NotebookFormatError(`${where}: expected an object, found ${kind(c)}`);
  if (typeof c.cell_type !== "string" || !CELL_TYPES.has(c.cell_type)) {
    throw new NotebookFormatError(
      `${where}: cell_type must be code, markdown or raw, found ${JSON.stringify(c.cell_type)}`,
    );
  }
  if (!isMultiline(c.source))
    throw new NotebookFormatError(`${where}: source must be a string or list of strings, found ${kind(c.source)}`);
  if (c.metadata === undefined) c.metadata = {};
  if (!isObject(c.metadata))
    throw new NotebookFormatError(`${where}: metadata must be an object, found ${kind(c.metadata)}`);
  const tags = (c.metadata as Record<string, unknown>).tags;
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === "string"))) {
    throw new NotebookFormatError(`${where}: metadata.tags must be a list of strings`);
  }
  if (c.cell_type !== "code") return;
  // Jupyter itself tolerates a code cell saved without outputs/execution_count; fill them in.
  if (c.outputs === undefined) c.outputs = [];
  if (c.execution_count === undefined) c.execution_count = null;
  if (!Array.isArray(c.outputs))
    throw new NotebookFormatError(`${where}: outputs must be a list, found ${kind(c.outputs)}`);
  if (c.execution_count !== null && typeof c.execution_count !== "number") {
    throw new NotebookFormatError(
      `${where}: execution_count must be a number or null, found ${kind(c.execution_count)}`,
    );
  }
  c.outputs.forEach((o, j) => {
    validateOutput(o, `${where} output ${j + 1}`);
  });
}

/** Validates parsed JSON as an nbformat v4 notebook; `source` names the file in errors. */
export function validateNotebook(value: unknown, source = "notebook"): Notebook {
  if (!isObject(value)) throw new NotebookFormatError(`${source}: expected a notebook object, found ${kind(value)}`);
  if (value.nbformat !== 4) {
    throw new NotebookFormatError(
      `${source}: only nbformat 4 is supported, found nbformat ${JSON.stringify(value.nbformat)}`,
    );
  }
  if (value.nbformat_minor === undefined) value.nbformat_minor = 5;
  if (typeof value.nbformat_minor !== "number")
    throw new NotebookFormatError(`${source}: nbformat_minor must be a number`);
  if (value.metadata === undefined) value.metadata = {};
  if (!isObject(value.metadata))
    throw new NotebookFormatError(`${source}: metadata must be an object, found ${kind(value.metadata)}`);
  if (!Array.isArray(value.cells))
    throw new NotebookFormatError(`${source}: cells must be a list, found ${kind(value.cells)}`);
  value.cells.forEach((c, i) => {
    validateCell(c, `${source}: cell ${i + 1}`);
  });
  return value as unknown as Notebook;
}

export function parseNotebook(text: string, source = "notebook"): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  return validateNotebook(value, source);
}

export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new NotebookFormatError(`cannot read notebook ${path}: ${(err as Error).message}`);
  }
  return parseNotebook(text, path);
}

function cleanOutput(o: Output): Output {
  if (o.output_type !== "display_data" || o.transient === undefined) return o;
  const { transient: _transient, ...rest } = o;
  return rest;
}

function cleanCell(c: Cell): Cell {
  return c.cell_type === "code" ? { ...c, outputs: c.outputs.map(cleanOutput) } : c;
}

/** Serialises as Jupyter does (one-space indent, trailing newline), without runtime-only fields. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify({ ...nb, cells: nb.cells.map(cleanCell) }, null, 1)}\n`;
}

export function writeNotebook(path: string, nb: Notebook): void {
  writeFileSync(path, serializeNotebook(nb));
}

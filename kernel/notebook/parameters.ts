// Papermill-style parameters: `-p name=value` values are injected as a new code cell tagged
// `injected-parameters` right after the cell tagged `parameters`, so the notebook's defaults run
// first and the injected values override them. The injected cell assigns with `name = value;`,
// which type-checks against the declaration in the parameters cell (declare them with `let`).
import type { Cell, CodeCell, Notebook } from "./nbformat.js";
import { cellTags, splitLines } from "./nbformat.js";

export type ParameterValue = string | number | boolean | null | ParameterValue[] | { [key: string]: ParameterValue };
export type Parameters = Record<string, ParameterValue>;

export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParameterError";
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses the value of `-p name=value` as papermill does: numbers, true/false/null and JSON
 * arrays/objects become those values; anything else stays a string (quote nothing on the shell).
 */
export function parseParameterValue(raw: string): ParameterValue {
  const t = raw.trim();
  if (NUMBER.test(t)) return Number(t);
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t.startsWith("[") || t.startsWith("{") || t.startsWith('"')) {
    try {
      return JSON.parse(t) as ParameterValue;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Parses one `name=value` argument. */
export function parseParameterArg(arg: string): [string, ParameterValue] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new ParameterError(`parameter '${arg}' must look like name=value`);
  const name = arg.slice(0, eq).trim();
  if (!IDENTIFIER.test(name)) throw new ParameterError(`parameter name '${name}' is not a valid identifier`);
  return [name, parseParameterValue(arg.slice(eq + 1))];
}

export function parseParameterArgs(args: string[]): Parameters {
  const out: Parameters = {};
  for (const a of args) {
    const [k, v] = parseParameterArg(a);
    out[k] = v;
  }
  return out;
}

/**
 * The TypeScript source of the injected cell: assignments to the parameters cell's variables, or
 * `let` declarations when there is no parameters cell to declare them.
 */
export function parametersSource(params: Parameters, declare = false): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (!IDENTIFIER.test(name)) throw new ParameterError(`parameter name '${name}' is not a valid identifier`);
    lines.push(declare ? `let ${name} = ${JSON.stringify(value)};` : `  ${name} = ${JSON.stringify(value)};`);
  }
  // Assignments go in a block: a bare last assignment would be echoed as the cell's result.
  return `${["// Injected parameters", ...(declare ? lines : ["{", ...lines, "}"])].join("\n")}\n`;
}

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

/**
 * Returns a copy of `nb` with the parameters injected after the cell tagged `parameters` (a cell
 * injected by an earlier run is replaced, as papermill does). Without a `parameters` cell the
 * values go first, so nothing is silently ignored; `strict` makes that an error instead.
 */
export function injectParameters(nb: Notebook, params: Parameters, opts: { strict?: boolean } = {}): Notebook {
  const cells: Cell[] = nb.cells.filter((c) => !cellTags(c).includes(INJECTED_TAG));
  if (Object.keys(params).length === 0) return { ...nb, cells };
  const at = cells.findIndex((c) => cellTags(c).includes(PARAMETERS_TAG));
  if (at < 0 && opts.strict) {
    throw new ParameterError(
      `the notebook has no cell tagged '${PARAMETERS_TAG}' to inject ${Object.keys(params).join(", ")} after`,
    );
  }
  const injected: CodeCell = {
    cell_type: "code",
    ...(nb.nbformat_minor >= 5 ? { id: "injected-parameters" } : {}),
    metadata: { tags: [INJECTED_TAG] },
    source: splitLines(parametersSource(params, at < 0)),
    execution_count: null,
    outputs: [],
  };
  cells.splice(at + 1, 0, injected);
  return { ...nb, cells, metadata: { ...nb.metadata, parameters: params } };
}

// Jupyter `error` content (ename/evalue/traceback) for syntax errors and runtime exceptions,
// with positions in the cell's own text rather than the generated script.
import { inspect } from "node:util";
import type { CellDiagnostic } from "./transform.js";
import type { ErrorResult } from "./protocol.js";

export function syntaxError(diags: CellDiagnostic[], fileName: string, code: string): ErrorResult {
  const lines = code.split("\n");
  const traceback: string[] = [];
  for (const d of diags) {
    traceback.push(`${fileName}:${d.line}:${d.column} - error TS${d.code}: ${d.message}`);
    const src = lines[d.line - 1];
    if (src !== undefined) traceback.push(`    ${src}`, `    ${" ".repeat(Math.max(0, d.column - 1))}^`);
  }
  const first = diags[0];
  return {
    ename: "SyntaxError",
    evalue: first ? `${first.message} (line ${first.line}, column ${first.column})` : "invalid syntax",
    traceback,
  };
}

/** Frames from the kernel's own code or Node internals say nothing about the user's bug. */
function isUserFrame(line: string): boolean {
  if (!/^\s+at /.test(line)) return true;
  if (/node:internal|node:vm|\/kernel\/executor\//.test(line)) return false;
  return true;
}

export function formatRuntimeError(err: unknown, fileName: string, firstLineShift: number): ErrorResult {
  if ((err as { code?: string } | null)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") {
    return {
      ename: "KeyboardInterrupt",
      evalue: "the cell was interrupted",
      traceback: ["KeyboardInterrupt: the cell was interrupted"],
    };
  }
  if (!(err instanceof Error)) {
    const evalue = inspect(err);
    return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const stack = err.stack ?? `${err.name}: ${err.message}`;
  const escaped = fileName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const frame = new RegExp(`${escaped}:1:(\\d+)`, "g");
  const traceback = stack
    .split("\n")
    .filter(isUserFrame)
    // Line 1 of an async cell carries the wrapper's prefix; report the cell's own column.
    .map((l) =>
      firstLineShift && fileName
        ? l.replace(frame, (_, c: string) => `${fileName}:1:${Math.max(1, Number(c) - firstLineShift)}`)
        : l,
    );
  return { ename: err.name || "Error", evalue: err.message, traceback };
}

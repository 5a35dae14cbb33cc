// Turns iopub messages into nbformat outputs the way Jupyter front ends do: streams of the same
// name coalesce, clear_output(wait) defers the clear to that cell's next output, and
// update_display_data rewrites every earlier output with that display_id, in whichever cell it was
// shown. Messages are routed by their parent msg_id, so output a cell's timer prints after the
// cell finished still lands in that cell.
import type { JupyterMessage } from "../wire/message.js";
import type { DisplayDataOutput, ExecuteResultOutput, MimeData, Output } from "../notebook/nbformat.js";
import { joinSource } from "../notebook/nbformat.js";

type Content = Record<string, unknown>;

interface CellState {
  outputs: Output[];
  clearOnNext: boolean;
}

function bundle(c: Content): { data: MimeData; metadata: Record<string, unknown> } {
  return {
    data: (c.data && typeof c.data === "object" ? c.data : {}) as MimeData,
    metadata: (c.metadata && typeof c.metadata === "object" ? c.metadata : {}) as Record<string, unknown>,
  };
}

function displayId(c: Content): string | undefined {
  const t = c.transient as { display_id?: unknown } | undefined;
  return typeof t?.display_id === "string" ? t.display_id : undefined;
}

/** Collects the outputs of a whole notebook run; register each cell's request with `startCell`. */
export class OutputCollector {
  private readonly cells = new Map<string, CellState>();
  private readonly displays = new Map<string, Set<DisplayDataOutput | ExecuteResultOutput>>();

  /** Starts collecting the outputs of the request `msgId` into a fresh list, filled in place. */
  startCell(msgId: string): Output[] {
    const state: CellState = { outputs: [], clearOnNext: false };
    this.cells.set(msgId, state);
    return state.outputs;
  }

  /**
   * Applies one iopub message to the cell whose request is its parent. Returns false when the
   * message carries no output or belongs to no registered cell.
   */
  handle(msg: JupyterMessage): boolean {
    const c = msg.content as Content;
    // An update targets a display wherever it is, whoever sends it.
    if (msg.header.msg_type === "update_display_data") {
      this.update(c);
      return true;
    }
    const cell = this.cells.get(msg.parent_header.msg_id ?? "");
    if (!cell) return false;
    switch (msg.header.msg_type) {
      case "stream":
        this.addStream(cell, c.name === "stderr" ? "stderr" : "stdout", String(c.text ?? ""));
        return true;
      case "display_data":
        this.add(cell, { output_type: "display_data", ...bundle(c) }, displayId(c));
        return true;
      case "execute_result":
        this.add(
          cell,
          {
            output_type: "execute_result",
            execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
            ...bundle(c),
          },
          displayId(c),
        );
        return true;
      case "error":
        this.add(cell, {
          output_type: "error",
          ename: String(c.ename ?? "Error"),
          evalue: String(c.evalue ?? ""),
          traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
        });
        return true;
      case "clear_output":
        if (c.wait === true) cell.clearOnNext = true;
        else cell.outputs.length = 0;
        return true;
      default:
        return false;
    }
  }

  /** Adds an output the runner makes itself (a timeout, a dead kernel) to the cell of `msgId`. */
  addError(msgId: string, ename: string, evalue: string, traceback: string[] = [`${ename}: ${evalue}`]): void {
    const cell = this.cells.get(msgId);
    if (cell) this.add(cell, { output_type: "error", ename, evalue, traceback });
  }

  private flushClear(cell: CellState): void {
    if (cell.clearOnNext) {
      cell.outputs.length = 0;
      cell.clearOnNext = false;
    }
  }

  private addStream(cell: CellState, name: "stdout" | "stderr", text: string): void {
    this.flushClear(cell);
    const last = cell.outputs[cell.outputs.length - 1];
    if (last?.output_type === "stream" && last.name === name) {
      last.text = joinSource(last.text) + text;
    } else {
      cell.outputs.push({ output_type: "stream", name, text });
    }
  }

  private add(cell: CellState, out: Output, id?: string): void {
    this.flushClear(cell);
    cell.outputs.push(out);
    if (id && (out.output_type === "display_data" || out.output_type === "execute_result")) {
      let set = this.displays.get(id);
      if (!set) this.displays.set(id, (set = new Set()));
      set.add(out);
    }
  }

  /** An update with an unknown id is ignored, as JupyterLab does: there is nothing to update. */
  private update(c: Content): void {
    const id = displayId(c);
    if (!id) return;
    const { data, metadata } = bundle(c);
    for (const out of this.displays.get(id) ?? []) {
      out.data = data;
      out.metadata = metadata;
    }
  }
}

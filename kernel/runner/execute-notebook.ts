// Headless execution: every code cell becomes an execute_request; its iopub output becomes the
// cell's nbformat outputs. The run stops at the first failing cell (error, timeout or a dead
// kernel) and returns the partial notebook with a message that names the cell.
import type { CodeCell, Notebook } from "../notebook/nbformat.js";
import { describeCell, joinSource } from "../notebook/nbformat.js";
import { injectParameters, type Parameters } from "../notebook/parameters.js";
import { KernelClient, KernelError } from "../client/kernel-client.js";
import { defaultKernelArgv } from "../client/kernel-argv.js";
import type { JupyterMessage } from "../wire/message.js";
import { OutputCollector } from "./output-collector.js";
import { progressFromMetadata, type ProgressReport } from "../../lib/display/progress-report.js";

export interface RunOptions {
  /** A running kernel to use (left running afterwards); otherwise one is started from `argv`. */
  client?: KernelClient;
  /** Kernelspec-style argv with `{connection_file}`; defaults to this project's kernel. */
  argv?: string[];
  /** Working directory of a started kernel (papermill uses the notebook's folder). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  parameters?: Parameters;
  /** Per-cell limit; a cell over it is interrupted and the run stops. Default: none. */
  cellTimeoutMs?: number;
  startTimeoutMs?: number;
  /** Called before each code cell runs (progress reporting). */
  onCell?(index: number, cell: CodeCell): void;
  /** Called for every progress bar redraw that publishes its numbers (lib/display progress `kind`). */
  onProgress?(report: ProgressReport): void;
}

export interface CellFailure {
  /** 0-based index into the executed notebook's cells (after parameter injection). */
  cellIndex: number;
  cellId?: string;
  kind: "error" | "timeout" | "kernel-died";
  ename: string;
  evalue: string;
  /** One line for a terminal: which cell, what went wrong. */
  message: string;
}

export interface RunResult {
  notebook: Notebook;
  ok: boolean;
  failure?: CellFailure;
  /** Wall time of each executed code cell, by cell index. */
  cellSeconds: Map<number, number>;
}

export const RUNNER_METADATA_KEY = "peft_nb";

/** Resets outputs as papermill does, so a stale output never survives into the result. */
function cleared(nb: Notebook): Notebook {
  const copy = structuredClone(nb);
  for (const c of copy.cells) {
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  return copy;
}

export async function executeNotebook(input: Notebook, opts: RunOptions = {}): Promise<RunResult> {
  const nb = cleared(opts.parameters ? injectParameters(input, opts.parameters) : input);
  const started = new Date();
  const owned = !opts.client;
  const client =
    opts.client ??
    (await KernelClient.start({
      argv: opts.argv ?? defaultKernelArgv(),
      cwd: opts.cwd,
      env: headlessEnv(opts.env),
      startTimeoutMs: opts.startTimeoutMs,
      kernelName: nb.metadata.kernelspec?.name,
    }));
  const cellSeconds = new Map<number, number>();
  let failure: CellFailure | undefined;
  let stopListening: (() => void) | undefined;
  try {
    const info = await client.request("kernel_info_request", {}, { timeoutMs: 30_000 });
    if (info.content.language_info && typeof info.content.language_info === "object") {
      nb.metadata.language_info = info.content.language_info as { name: string };
    }
    const collector = new OutputCollector();
    // One listener for the whole run: output from a finished cell's timers still reaches it.
    stopListening = client.onIopub((m) => {
      collector.handle(m);
      if (opts.onProgress && (m.header.msg_type === "display_data" || m.header.msg_type === "update_display_data")) {
        const p = progressFromMetadata(m.content.metadata);
        if (p) opts.onProgress(p);
      }
    });
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code" || joinSource(cell.source).trim() === "") continue;
      opts.onCell?.(index, cell);
      const t0 = performance.now();
      failure = await executeCell(client, cell, index, collector, opts.cellTimeoutMs);
      cellSeconds.set(index, (performance.now() - t0) / 1000);
      if (failure) break;
    }
  } finally {
    stopListening?.();
    if (owned) await client.shutdown().catch(() => undefined);
  }
  nb.metadata[RUNNER_METADATA_KEY] = {
    start_time: started.toISOString(),
    end_time: new Date().toISOString(),
    status: failure ? "failed" : "completed",
    ...(opts.parameters ? { parameters: opts.parameters } : {}),
    ...(failure ? { failure } : {}),
  };
  return { notebook: nb, ok: !failure, failure, cellSeconds };
}

async function executeCell(
  client: KernelClient,
  cell: CodeCell,
  index: number,
  collector: OutputCollector,
  timeoutMs?: number,
): Promise<CellFailure | undefined> {
  const label = describeCell(index, cell);
  const msg = client.message("execute_request", {
    code: joinSource(cell.source),
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
  });
  const id = msg.header.msg_id;
  cell.outputs = collector.startCell(id);
  let markIdle!: () => void;
  const idle = new Promise<void>((r) => (markIdle = r));
  const off = client.onIopub((m: JupyterMessage) => {
    if (m.parent_header.msg_id !== id) return;
    if (m.header.msg_type === "status" && m.content.execution_state === "idle") markIdle();
    else if (m.header.msg_type === "execute_input" && typeof m.content.execution_count === "number")
      cell.execution_count = m.content.execution_count;
  });
  const fail = (kind: CellFailure["kind"], ename: string, evalue: string): CellFailure => ({
    cellIndex: index,
    ...(cell.id ? { cellId: cell.id } : {}),
    kind,
    ename,
    evalue,
    message: `${label} failed: ${ename}${evalue ? `: ${evalue.split("\n")[0]}` : ""}`,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = client.awaitReply(id, `execute_request of ${label}`);
    reply.catch(() => undefined); // observed below; this only keeps an early send failure from leaking
    await client.send(msg, "shell");
    const done = Promise.all([reply, idle]);
    const outcome = await (timeoutMs === undefined
      ? done
      : Promise.race([done, new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)))]));
    if (outcome === "timeout") {
      await client.interrupt().catch(() => undefined);
      // Let the interrupted cell's own error and idle status arrive, but do not wait forever.
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
      const evalue = `${label} did not finish within ${timeoutMs! / 1000} s and was interrupted`;
      collector.addError(id, "CellTimeoutError", evalue);
      return fail("timeout", "CellTimeoutError", evalue);
    }
    const content = outcome[0].content;
    if (typeof content.execution_count === "number") {
      cell.execution_count = content.execution_count;
      for (const o of cell.outputs)
        if (o.output_type === "execute_result" && o.execution_count === null)
          o.execution_count = content.execution_count;
    }
    if (content.status === "ok") return undefined;
    const shownError = cell.outputs.find((o) => o.output_type === "error");
    let ename = String(
      content.ename ??
        (shownError?.output_type === "error" ? shownError.ename : content.status === "aborted" ? "Aborted" : "Error"),
    );
    let evalue = String(content.evalue ?? (shownError?.output_type === "error" ? shownError.evalue : ""));
    if (!shownError && !evalue) [ename, evalue] = errorFromStderr(cell, ename);
    // A kernel that only reports the error in its reply still leaves a visible error output.
    if (!shownError) {
      collector.addError(
        id,
        ename,
        evalue,
        Array.isArray(content.traceback) ? content.traceback.map(String) : undefined,
      );
    }
    return fail("error", ename, evalue);
  } catch (err) {
    if (!(err instanceof KernelError)) throw err;
    const evalue = err.message;
    collector.addError(id, "KernelDied", evalue);
    return fail("kernel-died", "KernelDied", evalue);
  } finally {
    if (timer) clearTimeout(timer);
    off();
  }
}

/**
 * Some kernels (tslab) report a failure only as stderr text and a bare `status: "error"` reply;
 * the most telling line there is the "SomeError: message" one, else the first line.
 */
function errorFromStderr(cell: CodeCell, fallbackName: string): [string, string] {
  const stderr = cell.outputs
    .map((o) => (o.output_type === "stream" && o.name === "stderr" ? joinSource(o.text) : ""))
    .join("");
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of lines) {
    const m = /^((?:[A-Za-z_$][\w$]*)?(?:Error|Exception))(?::\s*(.*))?$/.exec(l);
    if (m) return [m[1]!, m[2] ?? ""];
  }
  return [fallbackName, lines[0] ?? ""];
}

/**
 * Headless runs keep type warnings inside their cells: the kernel's interactive default publishes
 * them whenever the background checker finishes, possibly after the cell's idle.
 */
function headlessEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const base = env ?? process.env;
  return { ...base, PEFT_NB_TYPECHECK: base.PEFT_NB_TYPECHECK ?? "wait" };
}

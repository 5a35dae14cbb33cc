// The executor child process: runs user cells in this process's global context (so tfjs typed
// arrays and instanceof behave as in a normal module), reports output over the IPC channel and
// never talks Jupyter itself. Started by host.ts with `fork`.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import vm from "node:vm";
import { setDisplaySink } from "../../lib/display/sink.js";
import {
  comm,
  deliverCommClose,
  deliverCommMsg,
  deliverCommOpen,
  setCommTransport,
  type CommMessage,
} from "../../lib/display/comm.js";
import { convertCell, HELPER, type ConvertedCell } from "./transform.js";
import type { ErrorResult, FromRuntime, ToRuntime } from "./protocol.js";
import { formatRuntimeError, syntaxError } from "./errors.js";
import { createModuleRequire } from "./module-require.js";

interface CellContext {
  cell: string;
  interrupted: boolean;
  interrupt: (err: Error) => void;
}

const cells = new AsyncLocalStorage<CellContext>();
let lastCell: string | null = null;
let running: CellContext | null = null;

function send(msg: FromRuntime): void {
  process.send?.(msg);
}

/** The cell that caused the current output: the async context's, else the latest cell. */
function currentCell(): string | null {
  return cells.getStore()?.cell ?? lastCell;
}

// --- streams: coalesced per cell and flushed on the next turn (or before a cell's result) ---
const pending: { cell: string | null; name: "stdout" | "stderr"; text: string }[] = [];
let flushScheduled = false;

function flushStreams(): void {
  flushScheduled = false;
  for (const p of pending.splice(0)) send({ t: "stream", ...p });
}

function writeStream(name: "stdout" | "stderr", chunk: unknown, encoding?: unknown): void {
  const text =
    typeof chunk === "string"
      ? chunk
      : Buffer.from(chunk as Uint8Array).toString((typeof encoding === "string" ? encoding : "utf8") as BufferEncoding);
  if (!text) return;
  const cell = currentCell();
  const tail = pending[pending.length - 1];
  if (tail && tail.cell === cell && tail.name === name) tail.text += text;
  else pending.push({ cell, name, text });
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStreams);
  }
}

for (const name of ["stdout", "stderr"] as const) {
  const stream = process[name];
  stream.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    writeStream(name, chunk, encoding);
    const done = typeof encoding === "function" ? encoding : cb;
    if (typeof done === "function") queueMicrotask(done as () => void);
    return true;
  }) as typeof stream.write;
}

// --- display: lib/display publishes through this sink ---
setDisplaySink({
  rich: true,
  display(data, metadata, displayId) {
    flushStreams();
    send({ t: "display", cell: currentCell(), data, metadata, displayId });
  },
  update(data, metadata, displayId) {
    flushStreams();
    send({ t: "update", cell: currentCell(), data, metadata, displayId });
  },
  clear(wait) {
    flushStreams();
    send({ t: "clear", cell: currentCell(), wait });
  },
  write(text) {
    writeStream("stdout", text);
  },
});

// --- comms: user code's comm traffic goes to the kernel, which publishes it on iopub ---
setCommTransport({
  open(commId, targetName, data, metadata) {
    flushStreams();
    send({ t: "comm_open", cell: currentCell(), commId, targetName, data, metadata });
  },
  send(commId, data, metadata) {
    flushStreams();
    send({ t: "comm_msg", cell: currentCell(), commId, data, metadata });
  },
  close(commId, data, metadata) {
    flushStreams();
    send({ t: "comm_close", cell: currentCell(), commId, data, metadata });
  },
});

/** Runs a frontend comm message's handler in the message's own output context. */
function onComm(msg: Extract<ToRuntime, { t: "comm_open" | "comm_msg" | "comm_close" }>): void {
  const ctx: CellContext = { cell: msg.cell, interrupted: false, interrupt: () => {} };
  const body: CommMessage = { data: msg.data, metadata: msg.metadata };
  let error: string | null = null;
  cells.run(ctx, () => {
    try {
      if (msg.t === "comm_open") {
        error = deliverCommOpen(msg.commId, msg.targetName, body);
      } else if (msg.t === "comm_msg") {
        deliverCommMsg(msg.commId, body);
      } else {
        deliverCommClose(msg.commId, msg.data);
      }
    } catch (err) {
      // A failing onMsg/onClose handler: show it on the comm message's output, as ipykernel does.
      const e = formatRuntimeError(err, "", 0);
      writeStream("stderr", `Error in comm ${msg.t.slice(5)} handler: ${e.traceback.join("\n")}\n`);
    }
  });
  // Output first, then the answer: the kernel goes idle for this message after the answer.
  flushStreams();
  send({ t: "comm_ack", cell: msg.cell, error });
}

// --- input(): answered by the kernel through the stdin channel ---
let inputSeq = 0;
const inputWaiters = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();

function input(prompt = "", opts: { password?: boolean } = {}): Promise<string> {
  flushStreams();
  const id = ++inputSeq;
  return new Promise<string>((resolve, reject) => {
    inputWaiters.set(id, { resolve, reject });
    send({ t: "input", cell: currentCell(), id, prompt: String(prompt), password: !!opts.password });
  });
}

// --- globals every cell sees ---
const kernelRequire = createRequire(import.meta.url);
type DisplayModule = typeof import("../../lib/display/index.js");
let displayModule: DisplayModule | undefined;
function loadDisplay(): DisplayModule {
  // require(esm) is synchronous in Node >= 20.19; display() must be synchronous too.
  displayModule ??= kernelRequire("../../lib/display/index.js") as DisplayModule;
  return displayModule;
}

class InterruptedError extends Error {
  constructor() {
    super("the cell was interrupted");
    this.name = "KeyboardInterrupt";
  }
}

const userRequire = createModuleRequire(process.cwd());
const g = globalThis as Record<string, unknown>;
g[HELPER] = {
  require: userRequire,
  /** esModuleInterop's default import for CommonJS and ESM namespaces alike. */
  defaultOf(mod: unknown): unknown {
    const m = mod as { __esModule?: boolean; default?: unknown } | null;
    if (m && (m.__esModule || Object.prototype.toString.call(m) === "[object Module]")) return m.default;
    return mod;
  },
  ck<T>(value: T): T {
    if (cells.getStore()?.interrupted) throw new InterruptedError();
    return value;
  },
};
g.require = userRequire;
g.input = input;
Object.defineProperty(g, "comm", {
  configurable: true,
  get: () => comm,
  set: (value: unknown) =>
    Object.defineProperty(g, "comm", { value, writable: true, configurable: true, enumerable: true }),
});
// Loaded on first use; a cell may still declare its own `display` (the setter makes it plain).
for (const name of ["display", "clearOutput"] as const) {
  Object.defineProperty(g, name, {
    configurable: true,
    get: () => loadDisplay()[name],
    set: (value: unknown) =>
      Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: true }),
  });
}
/** Shows text in the pager (Jupyter's `page` payload on the execute reply). */
g.page = (text: unknown) => {
  const ctx = cells.getStore();
  if (ctx) send({ t: "page", cell: ctx.cell, text: typeof text === "string" ? text : inspect(text) });
};

// --- interrupt: SIGINT from the kernel. Sync code is stopped by breakOnSigint; this handler
// runs for async cells: it rejects the cell's promise and makes its next await throw. ---
process.on("SIGINT", () => {
  if (!running) return;
  running.interrupted = true;
  running.interrupt(new InterruptedError());
});

/**
 * `display(x)` as a cell's last line returns its handle; showing that too would be noise. The
 * handle carries lib/display's registered symbol (checked here without loading lib/display).
 */
const DISPLAY_HANDLE = Symbol.for("peft-notebook.display-handle");
function isDisplayHandle(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DISPLAY_HANDLE] === true;
}

function resultBundle(value: unknown): { data: Record<string, unknown>; metadata: Record<string, unknown> } {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    // Fast path: primitives need no display module.
    return { data: { "text/plain": inspect(value) }, metadata: {} };
  }
  const r = loadDisplay().toMimeBundle(value);
  return { data: r.data, metadata: r.metadata };
}

/** Evaluates execute_request's user_expressions after the cell (synchronous expressions only). */
function evaluateExpressions(exprs: Record<string, string> | undefined): Record<string, unknown> | undefined {
  if (!exprs) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, expr] of Object.entries(exprs)) {
    try {
      const conv = convertCell(expr);
      if (!conv.script) throw new SyntaxError(conv.diagnostics[0]?.message ?? "invalid expression");
      if (conv.isAsync) throw new SyntaxError("user_expressions cannot await");
      const value = new vm.Script(conv.script, { filename: `<user_expressions ${name}>` }).runInThisContext();
      out[name] = { status: "ok", ...resultBundle(value) };
    } catch (err) {
      out[name] = { status: "error", ...formatRuntimeError(err, "", 0) };
    }
  }
  return out;
}

/** Conversion is a pure function of the cell's text: a re-run cell is parsed once. */
const conversions = new Map<string, ConvertedCell>();
function convert(code: string): ConvertedCell {
  let conv = conversions.get(code);
  if (!conv) {
    conv = convertCell(code);
    conversions.set(code, conv);
    if (conversions.size > 100) conversions.delete(conversions.keys().next().value as string);
  }
  return conv;
}

async function execute(
  cell: string,
  code: string,
  count: number,
  userExpressions?: Record<string, string>,
): Promise<void> {
  lastCell = cell;
  let interrupt: (err: Error) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = reject;
  });
  interrupted.catch(() => {});
  const ctx: CellContext = { cell, interrupted: false, interrupt };
  running = ctx;
  const fileName = `<cell ${count}>`;
  let conv: ConvertedCell | undefined;
  const finish = (
    result?: { data: Record<string, unknown>; metadata: Record<string, unknown> },
    error?: ErrorResult,
  ) => {
    running = null;
    flushStreams();
    send({ t: "done", cell, result, error, userExpressions: evaluateExpressions(userExpressions) });
  };
  try {
    conv = convert(code);
    if (!conv.script) return finish(undefined, syntaxError(conv.diagnostics, fileName, code));
    const script = new vm.Script(conv.script, {
      filename: fileName,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    let value = cells.run(ctx, () => script.runInThisContext({ breakOnSigint: true }));
    if (conv.isAsync) value = await Promise.race([value, interrupted]);
    if (ctx.interrupted) throw new InterruptedError();
    finish(conv.hasResult && value !== undefined && !isDisplayHandle(value) ? resultBundle(value) : undefined);
  } catch (err) {
    finish(undefined, formatRuntimeError(err, fileName, conv?.firstLineShift ?? 0));
  }
}

// Cells run one at a time; the kernel already serialises execute requests.
let queue = Promise.resolve();
process.on("message", (msg: ToRuntime) => {
  if (msg.t === "execute") {
    queue = queue.then(() => execute(msg.cell, msg.code, msg.count, msg.userExpressions));
  } else if (msg.t === "comm_open" || msg.t === "comm_msg" || msg.t === "comm_close") {
    onComm(msg);
  } else if (msg.t === "input_reply") {
    const w = inputWaiters.get(msg.id);
    inputWaiters.delete(msg.id);
    if (!w) return;
    if (msg.error !== undefined) w.reject(new Error(msg.error));
    else w.resolve(msg.value ?? "");
  }
});
// Without the kernel there is nobody to report to.
process.on("disconnect", () => process.exit(0));
process.on("unhandledRejection", (reason) => {
  const e = formatRuntimeError(reason, "", 0);
  writeStream("stderr", `Unhandled promise rejection: ${e.traceback.join("\n")}\n`);
});
process.on("uncaughtException", (err) => {
  const e = formatRuntimeError(err, "", 0);
  writeStream("stderr", `Uncaught exception: ${e.traceback.join("\n")}\n`);
});
// Warm the parser so the first cell is fast, then tell the kernel we can run cells.
convertCell("const warm: number = 1; warm");
send({ t: "ready" });

// The Jupyter side of the kernel: one handler per request type, busy/idle around each request,
// shell requests one at a time, control requests at once (so interrupt and shutdown work while
// a cell runs), and executor output routed to the cell that produced it.
import type { JupyterMessage, MalformedMessageError, MessageHeader } from "../wire/message.js";
import type { OutgoingMessage, RequestChannel } from "../wire/sockets.js";
import type { RuntimeOutput } from "../executor/host.js";
import type { TypeDiagnostic } from "../executor/checker-protocol.js";
import type { History, Runtime, Transport, TypeChecker, TypecheckMode } from "./ports.js";
import { kernelInfoContent } from "./kernel-info.js";
import { codePointToIndex, indexToCodePoint } from "./code-points.js";

interface CellRoute {
  header: MessageHeader;
  identities: Buffer[];
  allowStdin: boolean;
}

export interface SessionOptions {
  transport: Transport;
  runtime: Runtime;
  checker: TypeChecker;
  history: History;
  typecheck?: TypecheckMode;
  log?: (line: string) => void;
  /**
   * Background type checking: how long a finished cell waits for its check before going idle,
   * so that warnings land inside the request (default 50 ms). Later warnings are still
   * published with the cell as parent, after its idle.
   */
  warningGraceMs?: number;
  /** Called after shutdown_reply went out; the CLI exits the process. */
  onShutdown?: (restart: boolean) => void;
}

class BadRequest extends Error {}

function str(content: Record<string, unknown>, field: string, msgType: string): string {
  const v = content[field];
  if (typeof v !== "string")
    throw new BadRequest(
      `${msgType}: content.${field} must be a string, found ${v === undefined ? "nothing" : typeof v}`,
    );
  return v;
}

function int(content: Record<string, unknown>, field: string, msgType: string, fallback?: number): number {
  const v = content[field] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new BadRequest(`${msgType}: content.${field} must be an integer, found ${JSON.stringify(v)}`);
  return v;
}

/** Resolves when `p` settles or after `ms`, whichever is first; leaves no timer behind. */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function objectField(content: Record<string, unknown>, field: string, msgType: string): Record<string, unknown> {
  const v = content[field] ?? {};
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new BadRequest(
      `${msgType}: content.${field} must be an object, found ${Array.isArray(v) ? "an array" : typeof v}`,
    );
  return v as Record<string, unknown>;
}

function replyType(msgType: string): string {
  return msgType.endsWith("_request") ? `${msgType.slice(0, -"_request".length)}_reply` : `${msgType}_reply`;
}

function formatDiagnostics(diags: TypeDiagnostic[], count: number): string {
  return `${diags
    .map(
      (d) =>
        `${d.fileName ?? `<cell ${count}>`}:${d.line}:${d.column} - ${d.category === "error" ? "type error" : d.category} TS${d.code}: ${d.message}`,
    )
    .join("\n")}\n`;
}

export class Session {
  private executionCount = 0;
  private shellQueue: Promise<void> = Promise.resolve();
  /** Shell requests are numbered on arrival; those numbered below abortBefore are aborted (stop_on_error). */
  private receivedSeq = 0;
  private abortBefore = 0;
  private readonly routes = new Map<string, CellRoute>();
  private lastCell: string | null = null;
  private readonly inputWaiters: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  /** Open comms: id -> target, and the runtime generation they live in (a new runtime has none). */
  private readonly comms = new Map<string, { target: string; generation: number }>();
  private readonly typecheck: TypecheckMode;
  private readonly log: (line: string) => void;
  private shuttingDown = false;
  private readonly warningGraceMs: number;

  constructor(private readonly o: SessionOptions) {
    this.typecheck = o.typecheck ?? "background";
    this.warningGraceMs = o.warningGraceMs ?? 50;
    this.log = o.log ?? (() => {});
  }

  async starting(): Promise<void> {
    await this.status("starting", {});
  }

  // ---- entry points from the sockets ----

  onMessage(channel: RequestChannel, msg: JupyterMessage): void {
    if (channel === "stdin") {
      this.onStdin(msg);
      return;
    }
    if (channel === "control") {
      void this.handle("control", msg);
      return;
    }
    const received = ++this.receivedSeq;
    this.shellQueue = this.shellQueue.then(() => this.handle("shell", msg, received));
  }

  onMalformed(channel: RequestChannel, err: MalformedMessageError): void {
    this.log(`${channel}: malformed message: ${err.message}`);
    if (channel === "stdin") return;
    const msgType = err.header?.msg_type ?? "unknown_request";
    void this.o.transport.send(channel, {
      msgType: replyType(msgType),
      parent: err.header ?? {},
      identities: err.identities,
      content: {
        status: "error",
        ename: "MalformedMessage",
        evalue: err.message,
        traceback: [`MalformedMessage: ${err.message}`],
      },
    });
  }

  /** Output from the runtime, sent on iopub with the header of the cell that produced it. */
  onRuntimeOutput(out: RuntimeOutput): void {
    const route = this.routeFor(out.cell);
    const parent = route?.header ?? {};
    switch (out.t) {
      case "stream":
        void this.publish("stream", parent, { name: out.name, text: out.text });
        return;
      case "display":
        void this.publish("display_data", parent, {
          data: out.data,
          metadata: out.metadata,
          transient: out.displayId ? { display_id: out.displayId } : {},
        });
        return;
      case "update":
        void this.publish("update_display_data", parent, {
          data: out.data,
          metadata: out.metadata,
          transient: { display_id: out.displayId },
        });
        return;
      case "clear":
        void this.publish("clear_output", parent, { wait: out.wait });
        return;
      case "comm_open":
        this.comms.set(out.commId, { target: out.targetName, generation: this.o.runtime.generation });
        void this.publish(
          "comm_open",
          parent,
          { comm_id: out.commId, target_name: out.targetName, data: out.data },
          out.metadata,
        );
        return;
      case "comm_msg":
        void this.publish("comm_msg", parent, { comm_id: out.commId, data: out.data }, out.metadata);
        return;
      case "comm_close":
        this.comms.delete(out.commId);
        void this.publish("comm_close", parent, { comm_id: out.commId, data: out.data }, out.metadata);
        return;
    }
  }

  /** input() in user code: an input_request on stdin to the client that sent the cell. */
  requestInput(cell: string | null, prompt: string, password: boolean): Promise<string> {
    const route = this.routeFor(cell);
    if (!route?.allowStdin) {
      return Promise.reject(
        new Error("StdinNotImplementedError: this client does not accept input (allow_stdin is false)"),
      );
    }
    return new Promise<string>((resolve, reject) => {
      this.inputWaiters.push({ resolve, reject });
      void this.o.transport.send("stdin", {
        msgType: "input_request",
        parent: route.header,
        identities: route.identities,
        content: { prompt, password },
      });
    });
  }

  // ---- dispatch ----

  private routeFor(cell: string | null): CellRoute | undefined {
    return this.routes.get(cell ?? this.lastCell ?? "") ?? (this.lastCell ? this.routes.get(this.lastCell) : undefined);
  }

  private publish(
    msgType: string,
    parent: Partial<MessageHeader>,
    content: Record<string, unknown>,
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    return this.o.transport.publish(metadata ? { msgType, parent, content, metadata } : { msgType, parent, content });
  }

  /** Output of code run for a message (a comm handler) goes to that message, like a cell's. */
  private remember(req: JupyterMessage, allowStdin: boolean): void {
    this.routes.set(req.header.msg_id, { header: req.header, identities: req.identities, allowStdin });
    if (this.routes.size > 1000) this.routes.delete(this.routes.keys().next().value as string);
  }

  private status(state: "busy" | "idle" | "starting", parent: Partial<MessageHeader>): Promise<void> {
    return this.publish("status", parent, { execution_state: state });
  }

  private reply(
    channel: RequestChannel,
    req: JupyterMessage,
    content: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    const m: OutgoingMessage = {
      msgType: replyType(req.header.msg_type),
      parent: req.header,
      identities: req.identities,
      content,
      metadata,
    };
    return this.o.transport.send(channel, m);
  }

  private async handle(
    channel: RequestChannel,
    req: JupyterMessage,
    received = Number.MAX_SAFE_INTEGER,
  ): Promise<void> {
    const type = req.header.msg_type;
    // Publishes are not awaited: one queue per socket keeps their order, and the cell need not
    // wait for ZMQ to take the message.
    void this.status("busy", req.header);
    try {
      await this.dispatch(channel, req, received);
    } catch (err) {
      const bad = err instanceof BadRequest;
      if (!bad) this.log(`${type}: ${(err as Error).stack}`);
      await this.reply(channel, req, {
        status: "error",
        ename: bad ? "BadRequest" : "KernelError",
        evalue: (err as Error).message,
        traceback: [(err as Error).message],
      });
    } finally {
      void this.status("idle", req.header);
    }
    if (type === "shutdown_request" && this.shuttingDown) this.o.onShutdown?.(req.content.restart === true);
  }

  private async dispatch(channel: RequestChannel, req: JupyterMessage, received: number): Promise<void> {
    const c = req.content;
    const type = req.header.msg_type;
    switch (type) {
      case "kernel_info_request":
        return this.reply(channel, req, kernelInfoContent());
      case "execute_request":
        return this.execute(channel, req, received);
      case "complete_request": {
        const code = str(c, "code", type);
        const cursor = codePointToIndex(code, int(c, "cursor_pos", type, [...code].length));
        const r = await this.o.checker.complete(code, cursor);
        return this.reply(channel, req, {
          status: "ok",
          matches: r.candidates,
          cursor_start: indexToCodePoint(code, r.start),
          cursor_end: indexToCodePoint(code, r.end),
          metadata: {},
        });
      }
      case "inspect_request": {
        const code = str(c, "code", type);
        const cursor = codePointToIndex(code, int(c, "cursor_pos", type, [...code].length));
        const r = await this.o.checker.inspect(code, cursor);
        return this.reply(channel, req, {
          status: "ok",
          found: r.found,
          data: r.found ? { "text/plain": r.text } : {},
          metadata: {},
        });
      }
      case "is_complete_request": {
        const r = await this.o.checker.isComplete(str(c, "code", type));
        return this.reply(
          channel,
          req,
          r.status === "incomplete" ? { status: r.status, indent: r.indent ?? "" } : { status: r.status },
        );
      }
      case "history_request":
        return this.reply(channel, req, { status: "ok", history: this.history(c, type) });
      case "comm_info_request": {
        const target = typeof c.target_name === "string" ? c.target_name : undefined;
        const comms: Record<string, { target_name: string }> = {};
        for (const [id, t] of this.comms) {
          if (t.generation !== this.o.runtime.generation) this.comms.delete(id);
          else if (!target || t.target === target) comms[id] = { target_name: t.target };
        }
        return this.reply(channel, req, { status: "ok", comms });
      }
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        return this.comm(req);
      case "interrupt_request":
        this.o.runtime.interrupt();
        return this.reply(channel, req, { status: "ok" });
      case "shutdown_request": {
        const restart = c.restart === true;
        this.shuttingDown = true;
        await this.reply(channel, req, { status: "ok", restart });
        await this.publish("shutdown_reply", req.header, { status: "ok", restart });
        await this.o.history.flush();
        return;
      }
      default:
        if (type.endsWith("_request")) throw new BadRequest(`unsupported message type '${type}'`);
        this.log(`${channel}: ignored ${type}`);
    }
  }

  // ---- comms ----

  private async comm(req: JupyterMessage): Promise<void> {
    const c = req.content;
    const type = req.header.msg_type as "comm_open" | "comm_msg" | "comm_close";
    const commId = str(c, "comm_id", type);
    const data = objectField(c, "data", type);
    const metadata = req.metadata ?? {};
    const runtime = this.o.runtime;
    if (type === "comm_open") {
      const targetName = str(c, "target_name", type);
      this.remember(req, false);
      const refused = runtime.comm
        ? await runtime.comm({ t: "comm_open", cell: req.header.msg_id, commId, targetName, data, metadata })
        : `no comm target '${targetName}' is registered`;
      if (refused === null) {
        this.comms.set(commId, { target: targetName, generation: runtime.generation });
        return;
      }
      // The spec: a comm the kernel cannot open is closed right away.
      this.log(`comm_open ${commId}: ${refused}; closing it`);
      await this.publish("comm_close", req.header, { comm_id: commId, data: {} });
      return;
    }
    const known = this.comms.get(commId);
    if (!known || known.generation !== runtime.generation) {
      this.comms.delete(commId);
      this.log(`${type} for unknown comm ${commId}: ignored`);
      return;
    }
    if (type === "comm_close") this.comms.delete(commId);
    this.remember(req, false);
    await runtime.comm?.({ t: type, cell: req.header.msg_id, commId, data, metadata });
  }

  private history(c: Record<string, unknown>, type: string): unknown[] {
    const output = c.output === true;
    const h = this.o.history;
    switch (c.hist_access_type) {
      case "tail":
        return h.tail(int(c, "n", type, 10), output);
      case "range":
        return h.range(
          int(c, "session", type, 0),
          int(c, "start", type, 1),
          c.stop === undefined || c.stop === null ? null : int(c, "stop", type),
          output,
        );
      case "search":
        return h.search(
          str(c, "pattern", type),
          c.n === undefined || c.n === null ? null : int(c, "n", type),
          c.unique === true,
          output,
        );
      default:
        throw new BadRequest(
          `${type}: hist_access_type must be tail, range or search, found ${JSON.stringify(c.hist_access_type)}`,
        );
    }
  }

  private onStdin(msg: JupyterMessage): void {
    if (msg.header.msg_type !== "input_reply") {
      this.log(`stdin: ignored ${msg.header.msg_type}`);
      return;
    }
    const w = this.inputWaiters.shift();
    if (!w) {
      this.log("stdin: input_reply without a pending input()");
      return;
    }
    const value = msg.content.value;
    if (typeof value === "string") w.resolve(value);
    else w.reject(new Error(`input_reply: content.value must be a string, found ${typeof value}`));
  }

  // ---- execute ----

  private async execute(channel: RequestChannel, req: JupyterMessage, received: number): Promise<void> {
    const c = req.content;
    const code = str(c, "code", "execute_request");
    const silent = c.silent === true;
    const storeHistory = silent ? false : c.store_history !== false;
    if (received < this.abortBefore) {
      return this.reply(channel, req, { status: "aborted", execution_count: this.executionCount });
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    const cell = req.header.msg_id;
    this.routes.set(cell, { header: req.header, identities: req.identities, allowStdin: c.allow_stdin !== false });
    this.lastCell = cell;
    if (this.routes.size > 1000) this.routes.delete(this.routes.keys().next().value as string);
    if (!silent) void this.publish("execute_input", req.header, { code, execution_count: count });

    const fail = async (ename: string, evalue: string, traceback: string[]) => {
      if (!silent) void this.publish("error", req.header, { ename, evalue, traceback });
      if (c.stop_on_error !== false) this.abortBefore = this.receivedSeq + 1;
      if (storeHistory) this.o.history.append(count, code);
      return this.reply(
        channel,
        req,
        { status: "error", execution_count: count, ename, evalue, traceback },
        { status: "error" },
      );
    };

    const pager = /^\s*(?:\?\s*([\s\S]+?)|([\s\S]+?)\s*\?)\s*$/.exec(code);
    if (pager && !code.includes("\n")) {
      const expr = (pager[1] ?? pager[2])!;
      const r = await this.o.checker.inspect(expr, expr.length);
      if (storeHistory) this.o.history.append(count, code);
      const payload = [
        { source: "page", data: { "text/plain": r.found ? r.text : `no information about '${expr}'` }, start: 0 },
      ];
      return this.reply(channel, req, { status: "ok", execution_count: count, payload, user_expressions: {} });
    }

    let checked: Promise<TypeDiagnostic[]> | null = null;
    /** Background mode: whether the check has finished (its warning, if any, is out). */
    let checkDone = true;
    if (this.typecheck !== "off") {
      const generation = this.o.runtime.generation;
      checked = this.o.checker.check(code, this.typecheck !== "strict").catch((err: Error) => {
        this.log(`type check failed: ${err.message}`);
        return [];
      });
      if (this.typecheck === "strict") {
        const diags = (await checked).filter((d) => d.category === "error");
        if (diags.length) {
          const first = diags[0]!;
          return fail(
            "TypeError",
            `${first.message} (line ${first.line}, column ${first.column})`,
            formatDiagnostics(diags, count).trimEnd().split("\n"),
          );
        }
      } else {
        const report = (diags: TypeDiagnostic[]) => {
          if (diags.length && this.o.runtime.generation === generation)
            void this.publish("stream", req.header, { name: "stderr", text: formatDiagnostics(diags, count) });
        };
        if (this.typecheck === "background") {
          void checked.then(report);
          checkDone = false;
          void checked.then(() => (checkDone = true));
        } else
          checked = checked.then((d) => {
            report(d);
            return d;
          });
      }
    }

    const generation = this.o.runtime.generation;
    const ue = c.user_expressions;
    const userExpressions =
      ue && typeof ue === "object" && !Array.isArray(ue) && Object.keys(ue).length
        ? Object.fromEntries(Object.entries(ue as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
        : undefined;
    const outcome = await this.o.runtime.execute(cell, code, count, userExpressions);
    if (this.o.runtime.generation !== generation) {
      // The runtime died: forget the dead runtime's declarations too.
      void this.o.checker.reset().catch(() => {});
    }
    if (this.typecheck === "wait" && checked) await checked;
    // Background mode: a check that finishes within the grace lands its warning before the
    // reply and idle, where headless clients still collect it; a finished one costs nothing.
    else if (checked && !checkDone) await settleWithin(checked, this.warningGraceMs);
    if (outcome.error) return fail(outcome.error.ename, outcome.error.evalue, outcome.error.traceback);
    if (outcome.result && !silent) {
      void this.publish("execute_result", req.header, {
        execution_count: count,
        data: outcome.result.data,
        metadata: outcome.result.metadata,
      });
    }
    if (storeHistory) {
      const text = outcome.result?.data["text/plain"];
      this.o.history.append(count, code, typeof text === "string" ? text : undefined);
    }
    const payload = outcome.pages.map((text) => ({ source: "page", data: { "text/plain": text }, start: 0 }));
    return this.reply(
      channel,
      req,
      { status: "ok", execution_count: count, payload, user_expressions: outcome.userExpressions ?? {} },
      { status: "ok" },
    );
  }
}

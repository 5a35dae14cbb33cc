// The Jupyter side of the kernel: one handler per request type, busy/idle around each request,
// shell requests one at a time, control requests at once (so interrupt and shutdown work while
// a cell runs), and executor output routed to the cell that produced it. Each message's content
// is parsed once into a typed value (kernel/protocol) and every reply is built from one.
import type { JupyterMessage, MalformedMessageError, MessageHeader } from "../wire/message.js";
import type { OutgoingMessage, RequestChannel } from "../wire/sockets.js";
import type { RuntimeOutput } from "../executor/host.js";
import type { TypeDiagnostic } from "../executor/checker-protocol.js";
import { BadRequest, type Content } from "../protocol/fields.js";
import {
  type ErrorReply,
  type ExecutionState,
  type InputRequest,
  type IopubContent,
  type ReplyContent,
  type RequestType,
  replyType,
} from "../protocol/replies.js";
import {
  type ExecuteRequest,
  type HistoryRequest,
  type Incoming,
  isIncomingType,
  parseIncoming,
} from "../protocol/requests.js";
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

function formatDiagnostics(diags: TypeDiagnostic[], count: number): string {
  return `${diags
    .map(
      (d) =>
        `${d.fileName ?? `<cell ${count}>`}:${d.line}:${d.column} - ${d.category === "error" ? "type error" : d.category} TS${d.code}: ${d.message}`,
    )
    .join("\n")}\n`;
}

/** A request's reply content, or the error every request may get instead. */
type ReplyTo<T extends RequestType> = ReplyContent[T] | ErrorReply;

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
  private lastCheckFailure: string | null = null;

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
    const type = err.header?.msg_type ?? "unknown_request";
    void this.sendError(channel, type, err.header ?? {}, err.identities, "MalformedMessage", err.message);
  }

  /** The error reply any request may get (a refused or failed one, or a malformed message). */
  private sendError(
    channel: RequestChannel,
    requestType: string,
    parent: Partial<MessageHeader>,
    identities: Buffer[],
    ename: string,
    evalue: string,
  ): Promise<void> {
    const content: ErrorReply = { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
    return this.o.transport.send(channel, {
      msgType: replyType(requestType),
      parent,
      identities,
      content,
      metadata: {},
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
      const content: InputRequest = { prompt, password };
      void this.o.transport.send("stdin", {
        msgType: "input_request",
        parent: route.header,
        identities: route.identities,
        content,
      });
    });
  }

  // ---- dispatch ----

  private routeFor(cell: string | null): CellRoute | undefined {
    return this.routes.get(cell ?? this.lastCell ?? "") ?? (this.lastCell ? this.routes.get(this.lastCell) : undefined);
  }

  private publish<K extends keyof IopubContent>(
    msgType: K,
    parent: Partial<MessageHeader>,
    content: IopubContent[K],
    metadata?: Content,
  ): Promise<void> {
    return this.o.transport.publish(metadata ? { msgType, parent, content, metadata } : { msgType, parent, content });
  }

  /** Output of code run for a message (a comm handler) goes to that message, like a cell's. */
  private remember(req: JupyterMessage, allowStdin: boolean): void {
    this.routes.set(req.header.msg_id, { header: req.header, identities: req.identities, allowStdin });
    if (this.routes.size > 1000) this.routes.delete(this.routes.keys().next().value as string);
  }

  private status(state: ExecutionState, parent: Partial<MessageHeader>): Promise<void> {
    return this.publish("status", parent, { execution_state: state });
  }

  private reply<T extends RequestType>(
    channel: RequestChannel,
    req: JupyterMessage,
    type: T,
    content: ReplyTo<T>,
    metadata: Content = {},
  ): Promise<void> {
    const m: OutgoingMessage = {
      msgType: replyType(type),
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
    let restart: boolean | null = null;
    try {
      // input_reply belongs on stdin (onStdin); elsewhere it is ignored like any non-request.
      if (!isIncomingType(type) || type === "input_reply") {
        if (type.endsWith("_request")) throw new BadRequest(`unsupported message type '${type}'`);
        this.log(`${channel}: ignored ${type}`);
      } else {
        const incoming = parseIncoming(type, req.content) as Exclude<Incoming, { msg_type: "input_reply" }>;
        if (incoming.msg_type === "shutdown_request") restart = incoming.content.restart;
        await this.dispatch(channel, req, incoming, received);
      }
    } catch (err) {
      const bad = err instanceof BadRequest;
      if (!bad) this.log(`${type}: ${(err as Error).stack}`);
      const ename = bad ? "BadRequest" : "KernelError";
      await this.sendError(channel, type, req.header, req.identities, ename, (err as Error).message);
    } finally {
      void this.status("idle", req.header);
    }
    if (restart !== null && this.shuttingDown) this.o.onShutdown?.(restart);
  }

  private async dispatch(
    channel: RequestChannel,
    req: JupyterMessage,
    incoming: Exclude<Incoming, { msg_type: "input_reply" }>,
    received: number,
  ): Promise<void> {
    switch (incoming.msg_type) {
      case "kernel_info_request":
        return this.reply(channel, req, incoming.msg_type, kernelInfoContent());
      case "execute_request":
        return this.execute(channel, req, incoming.content, received);
      case "complete_request": {
        const { code, cursor_pos } = incoming.content;
        const r = await this.o.checker.complete(code, codePointToIndex(code, cursor_pos));
        return this.reply(channel, req, incoming.msg_type, {
          status: "ok",
          matches: r.candidates,
          cursor_start: indexToCodePoint(code, r.start),
          cursor_end: indexToCodePoint(code, r.end),
          metadata: {},
        });
      }
      case "inspect_request": {
        const { code, cursor_pos } = incoming.content;
        const r = await this.o.checker.inspect(code, codePointToIndex(code, cursor_pos));
        return this.reply(channel, req, incoming.msg_type, {
          status: "ok",
          found: r.found,
          data: r.found ? { "text/plain": r.text } : {},
          metadata: {},
        });
      }
      case "is_complete_request": {
        const r = await this.o.checker.isComplete(incoming.content.code);
        return this.reply(
          channel,
          req,
          incoming.msg_type,
          r.status === "incomplete" ? { status: r.status, indent: r.indent ?? "" } : { status: r.status },
        );
      }
      case "history_request":
        return this.reply(channel, req, incoming.msg_type, { status: "ok", history: this.history(incoming.content) });
      case "comm_info_request": {
        const target = incoming.content.target_name;
        const comms: Record<string, { target_name: string }> = {};
        for (const [id, t] of this.comms) {
          if (t.generation !== this.o.runtime.generation) this.comms.delete(id);
          else if (!target || t.target === target) comms[id] = { target_name: t.target };
        }
        return this.reply(channel, req, incoming.msg_type, { status: "ok", comms });
      }
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        return this.comm(req, incoming);
      case "interrupt_request":
        this.o.runtime.interrupt();
        return this.reply(channel, req, incoming.msg_type, { status: "ok" });
      case "shutdown_request": {
        const { restart } = incoming.content;
        this.shuttingDown = true;
        await this.reply(channel, req, incoming.msg_type, { status: "ok", restart });
        await this.publish("shutdown_reply", req.header, { status: "ok", restart });
        await this.o.history.flush();
        return;
      }
    }
  }

  // ---- comms ----

  private async comm(
    req: JupyterMessage,
    incoming: Extract<Incoming, { msg_type: "comm_open" | "comm_msg" | "comm_close" }>,
  ): Promise<void> {
    const { comm_id: commId, data } = incoming.content;
    const metadata = req.metadata ?? {};
    const runtime = this.o.runtime;
    if (incoming.msg_type === "comm_open") {
      const targetName = incoming.content.target_name;
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
    const type = incoming.msg_type;
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

  private history(r: HistoryRequest) {
    const h = this.o.history;
    switch (r.hist_access_type) {
      case "tail":
        return h.tail(r.n, r.output);
      case "range":
        return h.range(r.session, r.start, r.stop, r.output);
      case "search":
        return h.search(r.pattern, r.n, r.unique, r.output);
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
    try {
      w.resolve(parseIncoming("input_reply", msg.content).content.value);
    } catch (err) {
      w.reject(err as Error);
    }
  }

  // ---- execute ----

  /**
   * A check that failed says so once, in the log and on the cell's stderr, not once per cell: a
   * stopped checker refuses every later check with the same reason.
   */
  private checkFailed(err: Error, header: MessageHeader, silent: boolean): void {
    if (err.message === this.lastCheckFailure) return;
    this.lastCheckFailure = err.message;
    this.log(`type check failed: ${err.message}`);
    if (!silent) void this.publish("stream", header, { name: "stderr", text: `${err.message}\n` });
  }

  private async execute(
    channel: RequestChannel,
    req: JupyterMessage,
    c: ExecuteRequest,
    received: number,
  ): Promise<void> {
    const { code, silent, store_history: storeHistory } = c;
    if (received < this.abortBefore) {
      return this.reply(channel, req, "execute_request", { status: "aborted", execution_count: this.executionCount });
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    const cell = req.header.msg_id;
    this.routes.set(cell, { header: req.header, identities: req.identities, allowStdin: c.allow_stdin });
    this.lastCell = cell;
    if (this.routes.size > 1000) this.routes.delete(this.routes.keys().next().value as string);
    if (!silent) void this.publish("execute_input", req.header, { code, execution_count: count });

    const fail = async (ename: string, evalue: string, traceback: string[]) => {
      if (!silent) void this.publish("error", req.header, { ename, evalue, traceback });
      if (c.stop_on_error) this.abortBefore = this.receivedSeq + 1;
      if (storeHistory) this.o.history.append(count, code);
      return this.reply(
        channel,
        req,
        "execute_request",
        { status: "error", execution_count: count, ename, evalue, traceback },
        { status: "error" },
      );
    };

    const pager = /^\s*(?:\?\s*([\s\S]+?)|([\s\S]+?)\s*\?)\s*$/.exec(code);
    if (pager && !code.includes("\n")) {
      const expr = (pager[1] ?? pager[2])!;
      const r = await this.o.checker.inspect(expr, expr.length);
      if (storeHistory) this.o.history.append(count, code);
      const text = r.found ? r.text : `no information about '${expr}'`;
      return this.reply(channel, req, "execute_request", {
        status: "ok",
        execution_count: count,
        payload: [{ source: "page", data: { "text/plain": text }, start: 0 }],
        user_expressions: {},
      });
    }

    let checked: Promise<TypeDiagnostic[]> | null = null;
    /** Background mode: whether the check has finished (its warning, if any, is out). */
    let checkDone = true;
    if (this.typecheck !== "off") {
      const generation = this.o.runtime.generation;
      checked = this.o.checker.check(code, this.typecheck !== "strict").catch((err: Error) => {
        this.checkFailed(err, req.header, silent);
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
    const expressions = Object.keys(c.user_expressions).length ? c.user_expressions : undefined;
    const outcome = await this.o.runtime.execute(cell, code, count, expressions);
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
    return this.reply(
      channel,
      req,
      "execute_request",
      {
        status: "ok",
        execution_count: count,
        payload: outcome.pages.map((text) => ({ source: "page", data: { "text/plain": text }, start: 0 })),
        user_expressions: outcome.userExpressions ?? {},
      },
      { status: "ok" },
    );
  }
}

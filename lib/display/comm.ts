// Jupyter comms for user code: named targets the frontend can open, comms the kernel opens, and
// messages both ways. Like the display sink, the wire is a seam: the kernel's executor installs a
// transport that sends comm_open/comm_msg/comm_close; without one, opening a comm fails clearly.
// State lives on globalThis under a registered symbol so that two copies of this module agree.
import { randomUUID } from "node:crypto";

export type CommData = Record<string, unknown>;

/** The data and metadata of a comm_open or comm_msg. */
export interface CommMessage {
  data: CommData;
  metadata: CommData;
}

/** Where the kernel side's comm traffic goes (installed by the kernel's executor). */
export interface CommTransport {
  open(commId: string, targetName: string, data: CommData, metadata: CommData): void;
  send(commId: string, data: CommData, metadata: CommData): void;
  close(commId: string, data: CommData, metadata: CommData): void;
}

export type CommTargetHandler = (comm: Comm, openMsg: CommMessage) => void;
export type CommMsgHandler = (data: CommData, msg: CommMessage) => void;
export type CommCloseHandler = (data: CommData) => void;

interface CommState {
  transport: CommTransport | null;
  targets: Map<string, CommTargetHandler>;
  comms: Map<string, Comm>;
}

const STATE_KEY = Symbol.for("peft-notebook.comm-state");
type Global = typeof globalThis & { [STATE_KEY]?: CommState };

function state(): CommState {
  const g = globalThis as Global;
  return (g[STATE_KEY] ??= { transport: null, targets: new Map(), comms: new Map() });
}

function objectArg(fn: string, field: string, v: unknown): CommData {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TypeError(
      `${fn}: ${field} must be a plain object (JSON), found ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}`,
    );
  }
  return v as CommData;
}

function transport(fn: string): CommTransport {
  const t = state().transport;
  if (!t) throw new Error(`${fn}: no Jupyter kernel connection; comms only work in a notebook cell`);
  return t;
}

export class Comm {
  private readonly msgHandlers: CommMsgHandler[] = [];
  private readonly closeHandlers: CommCloseHandler[] = [];
  private isClosed = false;

  /** Use `comm.open()` or a registered target; constructing one directly sends nothing. */
  constructor(
    readonly id: string,
    readonly targetName: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** comm_msg to the frontend. */
  send(data?: CommData, metadata?: CommData): void {
    if (this.isClosed) throw new Error(`comm ${this.id} (target '${this.targetName}'): send after close`);
    transport("comm.send").send(
      this.id,
      objectArg("comm.send", "data", data),
      objectArg("comm.send", "metadata", metadata),
    );
  }

  /** Called for every comm_msg from the frontend; returns this comm for chaining. */
  onMsg(handler: CommMsgHandler): this {
    if (typeof handler !== "function") throw new TypeError(`comm.onMsg: expected a function, found ${typeof handler}`);
    this.msgHandlers.push(handler);
    return this;
  }

  /** Called once when either side closes the comm. */
  onClose(handler: CommCloseHandler): this {
    if (typeof handler !== "function")
      throw new TypeError(`comm.onClose: expected a function, found ${typeof handler}`);
    this.closeHandlers.push(handler);
    return this;
  }

  /** comm_close to the frontend; idempotent. */
  close(data?: CommData, metadata?: CommData): void {
    if (this.isClosed) return;
    const d = objectArg("comm.close", "data", data);
    const m = objectArg("comm.close", "metadata", metadata);
    this.finish(d);
    state().transport?.close(this.id, d, m);
  }

  /** @internal a message from the frontend. */
  receive(msg: CommMessage): void {
    for (const h of this.msgHandlers) h(msg.data, msg);
  }

  /** @internal closed by either side: forget it and tell the close handlers. */
  finish(data: CommData): void {
    if (this.isClosed) return;
    this.isClosed = true;
    state().comms.delete(this.id);
    for (const h of this.closeHandlers) h(data);
  }
}

export interface CommApi {
  /** The frontend may open comms to `name`; `handler` receives each new comm and the open message. */
  registerTarget(name: string, handler: CommTargetHandler): void;
  unregisterTarget(name: string): boolean;
  /** Opens a comm from the kernel side (comm_open to the frontend). */
  open(targetName: string, data?: CommData, metadata?: CommData): Comm;
  /** Comms open now, optionally only those of one target. */
  list(targetName?: string): Comm[];
}

export const comm: CommApi = {
  registerTarget(name, handler) {
    if (typeof name !== "string" || !name)
      throw new TypeError(`comm.registerTarget: name must be a non-empty string, found ${JSON.stringify(name)}`);
    if (typeof handler !== "function")
      throw new TypeError(`comm.registerTarget('${name}'): handler must be a function, found ${typeof handler}`);
    state().targets.set(name, handler);
  },
  unregisterTarget(name) {
    return state().targets.delete(name);
  },
  open(targetName, data, metadata) {
    if (typeof targetName !== "string" || !targetName)
      throw new TypeError(`comm.open: target name must be a non-empty string, found ${JSON.stringify(targetName)}`);
    const d = objectArg("comm.open", "data", data);
    const m = objectArg("comm.open", "metadata", metadata);
    const t = transport("comm.open");
    const c = new Comm(randomUUID(), targetName);
    state().comms.set(c.id, c);
    t.open(c.id, targetName, d, m);
    return c;
  },
  list(targetName) {
    return [...state().comms.values()].filter((c) => targetName === undefined || c.targetName === targetName);
  },
};

/** Installs the kernel's transport; returns the previous one (tests restore it). */
export function setCommTransport(t: CommTransport | null): CommTransport | null {
  const s = state();
  const previous = s.transport;
  s.transport = t;
  return previous;
}

/**
 * The kernel's side of a frontend comm_open: runs the target's handler. Returns an error text
 * when there is no such target or the handler threw (the kernel then closes the comm).
 */
export function deliverCommOpen(commId: string, targetName: string, msg: CommMessage): string | null {
  const s = state();
  const handler = s.targets.get(targetName);
  if (!handler) return `no comm target '${targetName}' is registered`;
  const c = new Comm(commId, targetName);
  s.comms.set(commId, c);
  try {
    handler(c, msg);
  } catch (err) {
    c.finish({});
    return `comm target '${targetName}' failed: ${(err as Error)?.message ?? String(err)}`;
  }
  return null;
}

/** A frontend comm_msg; false when the comm is unknown (closed or never opened). */
export function deliverCommMsg(commId: string, msg: CommMessage): boolean {
  const c = state().comms.get(commId);
  if (!c) return false;
  c.receive(msg);
  return true;
}

/** A frontend comm_close; false when the comm is unknown. */
export function deliverCommClose(commId: string, data: CommData): boolean {
  const c = state().comms.get(commId);
  if (!c) return false;
  c.finish(data);
  return true;
}

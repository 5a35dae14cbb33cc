// A Jupyter client over ZMQ: launches a kernel from a kernelspec-style argv, then speaks the
// messaging protocol on shell and control (DEALER), iopub (SUB) and heartbeat (REQ) using the
// shared wire codec. Only what headless execution needs: requests with replies, an iopub feed,
// readiness, interrupt and shutdown.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import * as zmq from "zeromq";
import {
  createSigner,
  decodeMessage,
  encodeMessage,
  newHeader,
  type JupyterMessage,
  type Signer,
} from "../wire/message.js";
import { endpoint, type ConnectionInfo } from "../wire/connection.js";
import { newConnectionInfo, writeConnectionFile } from "./connection-file.js";
import { fillKernelArgv } from "./kernel-argv.js";

export type Channel = "shell" | "control";
export type IopubListener = (msg: JupyterMessage) => void;

export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelError";
  }
}

export interface StartOptions {
  /** Kernelspec-style argv with a `{connection_file}` placeholder. */
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the first kernel_info_reply (default 60 s). */
  startTimeoutMs?: number;
  kernelName?: string;
}

interface Pending {
  resolve(msg: JupyterMessage): void;
  reject(err: Error): void;
}

/** Serialises sends: a zeromq v6 socket refuses a second send while one is in flight. */
class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly socket: zmq.Writable) {}
  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.socket.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const STDERR_TAIL = 8000;

export class KernelClient {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly queues: Record<Channel, SendQueue>;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<IopubListener>();
  private closed = false;
  private stderrTail = "";
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitWaiters: Array<() => void> = [];

  private constructor(
    readonly info: ConnectionInfo,
    readonly process: ChildProcess | null,
    private readonly connectionFile: string | null,
  ) {
    this.signer = createSigner(info.key, info.signature_scheme);
    this.queues = { shell: new SendQueue(this.shell), control: new SendQueue(this.control) };
    this.shell.connect(endpoint(info, "shell"));
    this.control.connect(endpoint(info, "control"));
    this.iopub.connect(endpoint(info, "iopub"));
    this.iopub.subscribe();
    void this.readReplies(this.shell);
    void this.readReplies(this.control);
    void this.readIopub();
    if (process) {
      process.stderr?.on("data", (d: Buffer) => {
        this.stderrTail = (this.stderrTail + d.toString("utf8")).slice(-STDERR_TAIL);
      });
      process.on("exit", (code, signal) => this.markExited(code, signal));
    }
  }

  /** Records the end of the kernel process (exit, or a spawn that never happened). */
  private markExited(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exit) return;
    this.exit = { code, signal };
    const why = new KernelError(
      `kernel process exited (${signal ?? `code ${code}`})${this.stderrTail ? `; its stderr ends:\n${this.stderrTail}` : ""}`,
    );
    for (const p of this.pending.values()) p.reject(why);
    this.pending.clear();
    for (const w of this.exitWaiters.splice(0)) w();
  }

  /** Launches a kernel process with a fresh connection file and waits until it answers. */
  static async start(opts: StartOptions): Promise<KernelClient> {
    const info = await newConnectionInfo(opts.kernelName);
    const file = writeConnectionFile(info);
    const [cmd, ...args] = fillKernelArgv(opts.argv, file);
    const child = spawn(cmd!, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    // stdout is not part of the protocol; drain it so a chatty kernel never blocks on a full pipe.
    child.stdout?.resume();
    const client = new KernelClient(info, child, file);
    const spawnError = new Promise<never>((_, reject) => {
      child.once("error", (err) => {
        client.markExited(null);
        reject(new KernelError(`cannot launch kernel ${JSON.stringify([cmd, ...args])}: ${err.message}`));
      });
    });
    try {
      await Promise.race([client.waitReady(opts.startTimeoutMs ?? 60_000), spawnError]);
    } catch (err) {
      await client.shutdown({ timeoutMs: 1000 }).catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** Connects to an already running kernel (no process is owned). */
  static async connect(info: ConnectionInfo, readyTimeoutMs = 30_000): Promise<KernelClient> {
    const client = new KernelClient(info, null, null);
    await client.waitReady(readyTimeoutMs);
    return client;
  }

  get exited(): boolean {
    return this.exit !== null;
  }

  /** The last few KB the kernel wrote to stderr: the first thing to read when it misbehaves. */
  get stderr(): string {
    return this.stderrTail;
  }

  onIopub(listener: IopubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a request; resolves with the reply whose parent is this request. */
  async request(
    msgType: string,
    content: Record<string, unknown>,
    opts: { channel?: Channel; timeoutMs?: number; msgId?: string } = {},
  ): Promise<JupyterMessage> {
    const msg = this.message(msgType, content, opts.msgId);
    const reply = this.awaitReply(msg.header.msg_id, msgType, opts.timeoutMs);
    await this.send(msg, opts.channel ?? "shell");
    return reply;
  }

  /** Builds a request message (exposed so callers can learn its msg_id before sending). */
  message(msgType: string, content: Record<string, unknown>, msgId?: string): Omit<JupyterMessage, "buffers"> {
    const header = newHeader(msgType, this.session, "peft-nb");
    if (msgId) header.msg_id = msgId;
    return { identities: [], header, parent_header: {}, metadata: {}, content };
  }

  async send(msg: Omit<JupyterMessage, "buffers">, channel: Channel): Promise<void> {
    if (this.closed) throw new KernelError(`cannot send ${msg.header.msg_type}: the client is closed`);
    if (this.exit) throw new KernelError(`cannot send ${msg.header.msg_type}: the kernel process has exited`);
    await this.queues[channel].send(encodeMessage(msg, this.signer));
  }

  awaitReply(msgId: string, what: string, timeoutMs?: number): Promise<JupyterMessage> {
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? null
          : setTimeout(() => {
              this.pending.delete(msgId);
              reject(new KernelError(`no reply to ${what} within ${timeoutMs} ms`));
            }, timeoutMs);
      this.pending.set(msgId, {
        resolve: (m) => {
          if (timer) clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /**
   * Waits until the kernel answers kernel_info on shell and its iopub messages reach us: a SUB
   * socket drops whatever was published before it joined, so a reply alone is not enough.
   */
  async waitReady(timeoutMs: number): Promise<JupyterMessage> {
    const deadline = Date.now() + timeoutMs;
    let reply: JupyterMessage | null = null;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (this.exit) break;
      const id = randomUUID();
      let sawIopub = false;
      const off = this.onIopub((m) => {
        if (m.parent_header.msg_id === id) sawIopub = true;
      });
      try {
        reply = await this.request(
          "kernel_info_request",
          {},
          { msgId: id, timeoutMs: Math.max(1, Math.min(2000, deadline - Date.now())) },
        );
        // Give iopub a moment after the reply: status idle travels on another socket.
        for (let i = 0; i < 20 && !sawIopub; i++) await new Promise((r) => setTimeout(r, 25));
        // Some kernels publish nothing for kernel_info; after a few tries the reply is enough.
        if (sawIopub || attempt >= 3) return reply;
      } catch (err) {
        if (this.exit) break;
        if (!(err instanceof KernelError)) throw err;
      } finally {
        off();
      }
    }
    if (this.exit) {
      throw new KernelError(
        `kernel process exited (${this.exit.signal ?? `code ${this.exit.code}`}) before it answered kernel_info${this.stderrTail ? `; its stderr ends:\n${this.stderrTail}` : ""}`,
      );
    }
    throw new KernelError(
      `kernel did not answer kernel_info within ${timeoutMs} ms${this.stderrTail ? `; its stderr ends:\n${this.stderrTail}` : ""}`,
    );
  }

  /** One heartbeat ping on a fresh REQ socket; true when echoed within the timeout. */
  async heartbeat(timeoutMs = 1000): Promise<boolean> {
    const req = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
    try {
      req.connect(endpoint(this.info, "hb"));
      const ping = Buffer.from(randomUUID());
      await req.send(ping);
      const [echo] = await req.receive();
      return echo?.equals(ping);
    } catch {
      return false;
    } finally {
      req.close();
    }
  }

  /** interrupt_request on control; falls back to SIGINT for a process we own. */
  async interrupt(timeoutMs = 2000): Promise<void> {
    try {
      await this.request("interrupt_request", {}, { channel: "control", timeoutMs });
    } catch (err) {
      if (!this.process || this.exit) throw err;
      this.process.kill("SIGINT");
    }
  }

  /**
   * Asks the kernel to shut down (control shutdown_request), then escalates to SIGTERM and
   * SIGKILL for a process of ours that lingers, and frees everything.
   */
  async shutdown(opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    if (!this.closed && !this.exit) {
      await this.request("shutdown_request", { restart: false }, { channel: "control", timeoutMs }).catch(
        () => undefined,
      );
    }
    if (this.process) {
      for (const signal of [null, "SIGTERM", "SIGKILL"] as const) {
        if (this.exit) break;
        if (signal) this.process.kill(signal);
        await this.waitExit(signal === null ? timeoutMs : 1000);
      }
    }
    this.close();
  }

  private waitExit(ms: number): Promise<void> {
    if (this.exit) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Closes the sockets and removes the connection file; does not touch the kernel process. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.shell, this.control, this.iopub]) s.close();
    for (const p of this.pending.values()) p.reject(new KernelError("client closed"));
    this.pending.clear();
    if (this.connectionFile) rmSync(dirname(this.connectionFile), { recursive: true, force: true });
  }

  private decode(frames: Buffer[]): JupyterMessage | null {
    try {
      return decodeMessage(frames, this.signer);
    } catch {
      // A forged or mangled message from the kernel side is dropped, as a kernel drops ours.
      return null;
    }
  }

  private async readReplies(socket: zmq.Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        const msg = this.decode(frames);
        const parent = msg?.parent_header.msg_id;
        if (!msg || !parent) continue;
        const p = this.pending.get(parent);
        if (p) {
          this.pending.delete(parent);
          p.resolve(msg);
        }
      }
    } catch (err) {
      this.failPending(err);
    }
  }

  private async readIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        const msg = this.decode(frames);
        if (!msg) continue;
        for (const l of [...this.listeners]) l(msg);
      }
    } catch (err) {
      this.failPending(err);
    }
  }

  /** A socket that dies under us fails every waiting request instead of leaving it hanging. */
  private failPending(err: unknown): void {
    if (this.closed) return;
    const why = new KernelError(`ZMQ socket failed: ${(err as Error).message}`);
    for (const p of this.pending.values()) p.reject(why);
    this.pending.clear();
  }
}

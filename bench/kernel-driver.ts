// Drives a Jupyter kernel process over ZMQ, as a Jupyter client would, for bench/kernel.ts
// and the integration tests in test/kernel. Independent of the kernel's own socket code except for
// the shared message codec (kernel/wire/message.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as zmq from "zeromq";
import { newConnectionInfo, writeConnectionFile } from "../kernel/client/connection-file.js";
import type { ConnectionInfo } from "../kernel/wire/connection.js";
import {
  createSigner,
  decodeMessage,
  encodeMessage,
  newHeader,
  type JupyterMessage,
  type Signer,
} from "../kernel/wire/message.js";

/** A client-side connection: the same files `peft-nb run` writes (kernel/client). */
export type Connection = ConnectionInfo;

export const newConnection = (): Promise<Connection> => newConnectionInfo();

type Chan = "shell" | "control" | "stdin";

export class KernelDriver {
  readonly session = randomUUID();
  readonly signer: Signer;
  readonly iopubLog: JupyterMessage[] = [];
  readonly stderr: string[] = [];
  private readonly dealers: Record<Chan, zmq.Dealer>;
  private readonly iopub = new zmq.Subscriber();
  private readonly hb = new zmq.Request();
  private readonly replies = new Map<string, (m: JupyterMessage) => void>();
  private readonly iopubWaiters: { pred: (m: JupyterMessage) => boolean; resolve: (m: JupyterMessage) => void }[] = [];
  readonly stdinRequests: JupyterMessage[] = [];
  private closed = false;
  /** zeromq allows one pending send per socket: sends on a channel go out one after another. */
  private readonly sendQueues = new Map<Chan, Promise<void>>();

  private constructor(
    readonly conn: Connection,
    readonly proc: ChildProcess,
  ) {
    this.signer = createSigner(conn.key);
    const routing = Buffer.from(randomUUID());
    this.dealers = { shell: new zmq.Dealer(), control: new zmq.Dealer(), stdin: new zmq.Dealer() };
    // Reconnect quickly while the kernel is still binding (ZMQ's default waits 100 ms).
    for (const d of Object.values(this.dealers)) {
      d.routingId = routing.toString();
      d.linger = 0;
      d.reconnectInterval = 5;
    }
    this.iopub.linger = 0;
    this.iopub.reconnectInterval = 5;
    this.hb.linger = 0;
  }

  /** Starts `argv` (with {connection_file} replaced) and connects; resolves when kernel_info answers. */
  static async start(
    argv: string[],
    env: NodeJS.ProcessEnv = {},
    cwd?: string,
  ): Promise<{ driver: KernelDriver; startMs: number }> {
    const conn = await newConnection();
    const file = writeConnectionFile(conn);
    const t0 = performance.now();
    const proc = spawn(
      argv[0]!,
      argv.slice(1).map((a) => (a === "{connection_file}" ? file : a)),
      {
        env: { ...process.env, ...env },
        cwd,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const d = new KernelDriver(conn, proc);
    proc.stderr?.on("data", (b: Buffer) => d.stderr.push(b.toString()));
    proc.stdout?.on("data", () => {});
    d.connect();
    // Like jupyter_client: poll kernel_info until the kernel answers; start-up ends at the
    // first reply. Then wait until iopub is subscribed too (ZMQ's slow joiner), so that no
    // later status message is missed.
    // The first request waits in the DEALER's queue until the kernel binds, so its reply marks
    // the moment the kernel can answer.
    const exited = new Promise<never>((_, reject) =>
      proc.once("exit", (code) => reject(new Error(`kernel exited with ${code}: ${d.stderr.join("")}`))),
    );
    exited.catch(() => {});
    await Promise.race([d.request("shell", "kernel_info_request", {}, 120_000), exited]);
    const startMs = performance.now() - t0;
    for (;;) {
      const { frames, msgId } = d.frames("kernel_info_request", {});
      const r = await Promise.race([d.send("shell", frames, msgId, 5000), exited]);
      if (
        r &&
        (await d
          .waitIopub(
            (m) =>
              m.parent_header.msg_id === msgId &&
              m.header.msg_type === "status" &&
              m.content.execution_state === "idle",
            250,
          )
          .catch(() => null))
      )
        break;
    }
    return { driver: d, startMs };
  }

  private connect(): void {
    const c = this.conn;
    this.dealers.shell.connect(`tcp://${c.ip}:${c.shell_port}`);
    this.dealers.control.connect(`tcp://${c.ip}:${c.control_port}`);
    this.dealers.stdin.connect(`tcp://${c.ip}:${c.stdin_port}`);
    this.iopub.connect(`tcp://${c.ip}:${c.iopub_port}`);
    this.iopub.subscribe();
    this.hb.connect(`tcp://${c.ip}:${c.hb_port}`);
    for (const ch of ["shell", "control"] as const) void this.readReplies(ch);
    void this.readStdin();
    void this.readIopub();
  }

  private async readReplies(ch: Chan): Promise<void> {
    try {
      for await (const frames of this.dealers[ch]) {
        const m = decodeMessage(frames, this.signer);
        const id = m.parent_header.msg_id;
        const cb = id ? this.replies.get(id) : undefined;
        if (cb && id) {
          this.replies.delete(id);
          cb(m);
        }
      }
    } catch {
      // closed
    }
  }

  private async readStdin(): Promise<void> {
    try {
      for await (const frames of this.dealers.stdin) this.stdinRequests.push(decodeMessage(frames, this.signer));
    } catch {
      // closed
    }
  }

  private async readIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        const m = decodeMessage(frames, this.signer);
        this.iopubLog.push(m);
        for (const w of [...this.iopubWaiters]) {
          if (w.pred(m)) {
            this.iopubWaiters.splice(this.iopubWaiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    } catch {
      // closed
    }
  }

  /** Raw frames, for forged and malformed messages. */
  sendFrames(ch: Chan, frames: Buffer[]): Promise<void> {
    const next = (this.sendQueues.get(ch) ?? Promise.resolve()).then(() => this.dealers[ch].send(frames));
    this.sendQueues.set(
      ch,
      next.catch(() => {}),
    );
    return next;
  }

  frames(
    msgType: string,
    content: Record<string, unknown>,
    signer: Signer = this.signer,
  ): { frames: Buffer[]; msgId: string } {
    const header = newHeader(msgType, this.session, "test");
    return {
      frames: encodeMessage({ identities: [], header, parent_header: {}, metadata: {}, content }, signer),
      msgId: header.msg_id,
    };
  }

  /** Sends a request and resolves with its reply (rejects after timeoutMs). */
  request(ch: Chan, msgType: string, content: Record<string, unknown>, timeoutMs = 30_000): Promise<JupyterMessage> {
    const { frames, msgId } = this.frames(msgType, content);
    return this.send(ch, frames, msgId, timeoutMs);
  }

  send(ch: Chan, frames: Buffer[], msgId: string, timeoutMs = 30_000): Promise<JupyterMessage> {
    return new Promise<JupyterMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(msgId);
        reject(new Error(`no reply to ${msgId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(msgId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.sendFrames(ch, frames).catch(reject);
    });
  }

  /** Executes code and returns the reply plus the iopub messages of that request up to idle. */
  async execute(
    code: string,
    extra: Record<string, unknown> = {},
    timeoutMs = 30_000,
    /** If set, an idle status missing this long after the reply is tolerated (idleLost). */
    idleGraceMs?: number,
  ): Promise<{ reply: JupyterMessage; outputs: JupyterMessage[]; msgId: string; idleLost: boolean }> {
    const { frames, msgId } = this.frames("execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
      ...extra,
    });
    const idle = this.waitIopub(
      (m) => m.parent_header.msg_id === msgId && m.header.msg_type === "status" && m.content.execution_state === "idle",
      timeoutMs,
    );
    let reply: JupyterMessage;
    try {
      reply = await this.send("shell", frames, msgId, timeoutMs);
    } catch (err) {
      idle.catch(() => {});
      throw err;
    }
    let idleLost = false;
    if (idleGraceMs === undefined) await idle;
    else {
      idle.catch(() => {});
      const grace = new Promise<"lost">((r) => setTimeout(() => r("lost"), idleGraceMs).unref());
      idleLost = (await Promise.race([idle, grace])) === "lost";
    }
    const outputs = this.iopubLog.filter(
      (m) =>
        m.parent_header.msg_id === msgId && m.header.msg_type !== "status" && m.header.msg_type !== "execute_input",
    );
    return { reply, outputs, msgId, idleLost };
  }

  /** Starts an execute without waiting; returns its msg_id. */
  startExecute(code: string, extra: Record<string, unknown> = {}): string {
    const { frames, msgId } = this.frames("execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
      ...extra,
    });
    void this.send("shell", frames, msgId, 120_000).catch(() => {});
    return msgId;
  }

  waitReply(msgId: string, timeoutMs = 30_000): Promise<JupyterMessage> {
    return this.waitIopub(
      (m) => m.parent_header.msg_id === msgId && m.header.msg_type === "status" && m.content.execution_state === "idle",
      timeoutMs,
    );
  }

  waitIopub(pred: (m: JupyterMessage) => boolean, timeoutMs = 30_000): Promise<JupyterMessage> {
    const seen = this.iopubLog.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: JupyterMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.iopubWaiters.splice(this.iopubWaiters.indexOf(w), 1);
        reject(new Error(`iopub: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.iopubWaiters.push(w);
    });
  }

  /** One heartbeat round trip in milliseconds. */
  async heartbeat(): Promise<number> {
    const t0 = performance.now();
    await this.hb.send(Buffer.from("ping"));
    await this.hb.receive();
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.proc.exitCode === null) {
      await this.request("control", "shutdown_request", { restart: false }, 5000).catch(() => {});
      await new Promise<void>((r) => {
        if (this.proc.exitCode !== null) return r();
        const t = setTimeout(() => {
          this.proc.kill("SIGKILL");
          r();
        }, 3000);
        this.proc.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    for (const s of [...Object.values(this.dealers), this.iopub, this.hb]) s.close();
  }
}

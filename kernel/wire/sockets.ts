// The kernel's five ZMQ sockets. Incoming frames are decoded and verified here: a forged or
// replayed signature is dropped and logged, a malformed but signed message is handed to
// `onMalformed` so the session can send an error reply. Nothing else in the kernel touches zeromq.
import * as zmq from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection.js";
import { DigestHistory } from "./digest-history.js";
import {
  MalformedMessageError,
  ReplayedMessageError,
  SignatureError,
  createSigner,
  decodeMessage,
  encodeMessage,
  newHeader,
  type JupyterMessage,
  type MessageHeader,
  type Signer,
} from "./message.js";

export type RequestChannel = "shell" | "control" | "stdin";

export interface SocketHandlers {
  message(channel: RequestChannel, msg: JupyterMessage): void;
  malformed(channel: RequestChannel, err: MalformedMessageError): void;
  log(line: string): void;
}

export interface OutgoingMessage {
  msgType: string;
  content: Record<string, unknown>;
  parent?: Partial<MessageHeader>;
  identities?: Buffer[];
  metadata?: Record<string, unknown>;
  buffers?: Buffer[];
}

export class KernelSockets {
  readonly signer: Signer;
  readonly session: string;
  /** Signatures already accepted on any channel (one history per session, as ipykernel's). */
  readonly digests = new DigestHistory();
  private readonly routers: Record<RequestChannel, zmq.Router>;
  private readonly iopub: zmq.Publisher;
  private readonly hb: zmq.Reply;
  /** zeromq allows one pending send per socket; queue them per socket. */
  private readonly sendQueues = new Map<zmq.Socket, Promise<void>>();
  private closed = false;

  constructor(
    private readonly conn: ConnectionInfo,
    session: string,
  ) {
    this.signer = createSigner(conn.key, conn.signature_scheme);
    this.session = session;
    this.routers = { shell: new zmq.Router(), control: new zmq.Router(), stdin: new zmq.Router() };
    this.iopub = new zmq.Publisher();
    this.hb = new zmq.Reply();
    for (const s of [...Object.values(this.routers), this.iopub, this.hb]) s.linger = 0;
  }

  async bind(): Promise<void> {
    await Promise.all([
      this.routers.shell.bind(endpoint(this.conn, "shell")),
      this.routers.control.bind(endpoint(this.conn, "control")),
      this.routers.stdin.bind(endpoint(this.conn, "stdin")),
      this.iopub.bind(endpoint(this.conn, "iopub")),
      this.hb.bind(endpoint(this.conn, "hb")),
    ]);
  }

  /** Starts the receive loops; returns immediately. */
  listen(handlers: SocketHandlers): void {
    for (const channel of ["shell", "control", "stdin"] as const) void this.receiveLoop(channel, handlers);
    void this.heartbeatLoop(handlers);
  }

  private async receiveLoop(channel: RequestChannel, h: SocketHandlers): Promise<void> {
    try {
      for await (const frames of this.routers[channel]) {
        let msg: JupyterMessage;
        try {
          msg = decodeMessage(frames, this.signer, this.digests);
        } catch (err) {
          if (err instanceof ReplayedMessageError) h.log(`${channel}: dropped a ${err.message}`);
          else if (err instanceof SignatureError) h.log(`${channel}: dropped a message with an invalid signature`);
          else if (err instanceof MalformedMessageError) h.malformed(channel, err);
          else h.log(`${channel}: dropped an undecodable message: ${(err as Error).message}`);
          continue;
        }
        try {
          h.message(channel, msg);
        } catch (err) {
          h.log(`${channel}: handler failed for ${msg.header.msg_type}: ${(err as Error).stack}`);
        }
      }
    } catch (err) {
      if (!this.closed) h.log(`${channel}: receive loop ended: ${(err as Error).message}`);
    }
  }

  private async heartbeatLoop(h: SocketHandlers): Promise<void> {
    try {
      for await (const frames of this.hb) await this.hb.send(frames);
    } catch (err) {
      if (!this.closed) h.log(`hb: loop ended: ${(err as Error).message}`);
    }
  }

  private enqueue(socket: zmq.Socket & { send(f: Buffer[]): Promise<void> }, frames: Buffer[]): Promise<void> {
    const prev = this.sendQueues.get(socket) ?? Promise.resolve();
    const next = prev.then(() => (this.closed ? undefined : socket.send(frames))).catch(() => {});
    this.sendQueues.set(socket, next);
    return next;
  }

  private frames(m: OutgoingMessage, identities: Buffer[]): Buffer[] {
    return encodeMessage(
      {
        identities,
        header: newHeader(m.msgType, this.session),
        parent_header: m.parent ?? {},
        metadata: m.metadata ?? {},
        content: m.content,
        buffers: m.buffers,
      },
      this.signer,
    );
  }

  /** A reply or request on a ROUTER socket, addressed by the request's identities. */
  send(channel: RequestChannel, m: OutgoingMessage): Promise<void> {
    return this.enqueue(this.routers[channel], this.frames(m, m.identities ?? []));
  }

  /** An iopub broadcast; the topic follows the ipykernel convention `kernel.<session>.<type>`. */
  publish(m: OutgoingMessage): Promise<void> {
    return this.enqueue(this.iopub, this.frames(m, [Buffer.from(`kernel.${this.session}.${m.msgType}`)]));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.sendQueues.values()]);
    for (const s of [...Object.values(this.routers), this.iopub, this.hb]) s.close();
  }
}

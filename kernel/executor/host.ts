// The kernel side of the executor: owns the child process that runs user code, forwards its
// output, interrupts it (SIGINT, then a kill if it does not yield) and replaces it when it dies.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { DisplayMetadata, MimeBundle } from "../../lib/display/sink.js";
import type { CommToRuntime, ErrorResult, FromRuntime, ToRuntime } from "./protocol.js";

export type RuntimeOutput = Extract<
  FromRuntime,
  { t: "stream" | "display" | "update" | "clear" | "comm_open" | "comm_msg" | "comm_close" }
>;

export interface ExecuteOutcome {
  result?: { data: MimeBundle; metadata: DisplayMetadata };
  error?: ErrorResult;
  /** Texts for the pager (execute_reply payload). */
  pages: string[];
  userExpressions?: Record<string, unknown>;
}

export interface HostEvents {
  output(msg: RuntimeOutput): void;
  /** Answers input(); rejects when the client cannot take input. */
  input(cell: string | null, prompt: string, password: boolean): Promise<string>;
  log(line: string): void;
}

export interface HostOptions {
  cwd?: string;
  /** How long an interrupted cell may take to stop before its runtime is killed. */
  interruptGraceMs?: number;
  /** Script to fork; the compiled runtime.js next to this file by default. */
  runtimePath?: string;
  /** Node flags for the runtime, e.g. --max-old-space-size=8192; default from PEFT_NB_RUNTIME_ARGS. */
  execArgv?: string[];
}

interface Pending {
  cell: string;
  resolve: (o: ExecuteOutcome) => void;
  pages: string[];
}

export class ExecutorHost {
  private child: ChildProcess | null = null;
  private ready: Promise<void> = Promise.resolve();
  private pending: Pending | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private killedChild: ChildProcess | null = null;
  /** Runtimes in a row that died before saying ready; after 3 we stop forking. */
  private failedStarts = 0;
  private startupStderr = "";
  private readyChild: ChildProcess | null = null;
  /** Frontend comm messages waiting for the runtime's answer, by the message's msg_id. */
  private readonly commAcks = new Map<string, (error: string | null) => void>();
  /** Increments on every fresh runtime; the session reports it. */
  generation = 0;

  constructor(
    private readonly events: HostEvents,
    private readonly options: HostOptions = {},
  ) {}

  start(): void {
    if (this.closed) return;
    this.generation++;
    const path = this.options.runtimePath ?? fileURLToPath(new URL("./runtime.js", import.meta.url));
    const child = fork(path, [], {
      cwd: this.options.cwd ?? process.cwd(),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Its own process group: a terminal's Ctrl-C reaches the kernel, which decides.
      detached: true,
      execArgv: this.options.execArgv ?? (process.env.PEFT_NB_RUNTIME_ARGS ?? "").split(/\s+/).filter(Boolean),
    });
    this.child = child;
    this.ready = new Promise<void>((resolve) => {
      const onReady = (msg: FromRuntime) => {
        if (msg.t === "ready") {
          child.off("message", onReady);
          this.readyChild = child;
          this.failedStarts = 0;
          this.startupStderr = "";
          resolve();
        }
      };
      child.on("message", onReady);
      child.once("exit", () => resolve());
    });
    child.on("message", (msg: FromRuntime) => this.onMessage(msg));
    // Output that bypasses process.stdout (native code, a dying V8) still reaches the cell.
    child.stdout?.on("data", (b: Buffer) =>
      this.events.output({ t: "stream", cell: this.pending?.cell ?? null, name: "stdout", text: b.toString() }),
    );
    child.stderr?.on("data", (b: Buffer) => {
      if (this.readyChild !== child) this.startupStderr = (this.startupStderr + b.toString()).slice(-4000);
      this.events.output({ t: "stream", cell: this.pending?.cell ?? null, name: "stderr", text: b.toString() });
    });
    child.once("exit", (code, signal) => this.onExit(child, code, signal));
  }

  /** Resolves once the runtime can take cells (used for start-up measurements and tests). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private live(): boolean {
    const c = this.child;
    return !!c && this.readyChild === c && c.exitCode === null && c.signalCode === null;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  async execute(
    cell: string,
    code: string,
    count: number,
    userExpressions?: Record<string, string>,
  ): Promise<ExecuteOutcome> {
    if (this.closed)
      return { error: { ename: "RuntimeClosed", evalue: "the kernel is shutting down", traceback: [] }, pages: [] };
    if (this.pending) throw new Error(`executor is busy with cell ${this.pending.cell}`);
    // Wait for a runtime that said ready; one that dies during start-up is retried twice.
    while (!this.live()) {
      if (this.closed)
        return { error: { ename: "RuntimeClosed", evalue: "the kernel is shutting down", traceback: [] }, pages: [] };
      if (this.failedStarts >= 3) {
        this.failedStarts = 0; // the next cell tries again, in case the cause was fixed
        return {
          error: {
            ename: "RuntimeStartFailed",
            evalue: "the runtime process exits during start-up",
            traceback: this.startupStderr.split("\n"),
          },
          pages: [],
        };
      }
      if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.start();
      await this.ready;
    }
    return new Promise<ExecuteOutcome>((resolve) => {
      this.pending = { cell, resolve, pages: [] };
      this.post({ t: "execute", cell, code, count, userExpressions });
    });
  }

  /**
   * Hands a frontend comm message to the runtime and resolves once its handler ran (so its
   * output precedes the message's idle): null, or for comm_open the reason it was refused.
   */
  async comm(msg: CommToRuntime): Promise<string | null> {
    while (!this.live()) {
      if (this.closed || this.failedStarts >= 3) return "the runtime is not running";
      // A fresh runtime has no comms; only an open can mean anything to it.
      if (msg.t !== "comm_open") return null;
      if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.start();
      await this.ready;
    }
    return new Promise<string | null>((resolve) => {
      this.commAcks.set(msg.cell, resolve);
      this.post(msg);
    });
  }

  /** SIGINT to the runtime; if the cell is still running after the grace period, kill it. */
  interrupt(): void {
    const child = this.child;
    if (!child || !this.pending) return;
    child.kill("SIGINT");
    if (this.killTimer) return;
    const grace = this.options.interruptGraceMs ?? 600;
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (this.pending && this.child === child) {
        this.events.log(`runtime did not stop ${grace} ms after SIGINT; killing it`);
        this.killedChild = child;
        child.kill("SIGKILL");
      }
    }, grace);
  }

  /** A fresh runtime: all user state is dropped. */
  async restart(): Promise<void> {
    const old = this.child;
    this.child = null;
    if (old && old.exitCode === null && old.signalCode === null) {
      const gone = new Promise<void>((r) => old.once("exit", () => r()));
      old.kill("SIGKILL");
      await gone;
    }
    this.start();
    await this.ready;
  }

  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) child.kill("SIGKILL");
  }

  private post(msg: ToRuntime): void {
    this.child?.send(msg);
  }

  private onMessage(msg: FromRuntime): void {
    switch (msg.t) {
      case "ready":
        return;
      case "done": {
        const p = this.pending;
        if (!p || p.cell !== msg.cell) return;
        this.settle({ result: msg.result, error: msg.error, pages: p.pages, userExpressions: msg.userExpressions });
        return;
      }
      case "comm_ack": {
        const ack = this.commAcks.get(msg.cell);
        this.commAcks.delete(msg.cell);
        ack?.(msg.error);
        return;
      }
      case "page":
        if (this.pending?.cell === msg.cell) this.pending.pages.push(msg.text);
        return;
      case "input": {
        this.events.input(msg.cell, msg.prompt, msg.password).then(
          (value) => this.post({ t: "input_reply", id: msg.id, value }),
          (err: Error) => this.post({ t: "input_reply", id: msg.id, error: err.message }),
        );
        return;
      }
      default:
        this.events.output(msg);
    }
  }

  private settle(outcome: ExecuteOutcome): void {
    const p = this.pending;
    this.pending = null;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    p?.resolve(outcome);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // replaced on purpose (restart/close)
    this.child = null;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    this.events.log(`runtime exited (${how})`);
    for (const ack of this.commAcks.values()) ack(`the runtime ended (${how})`);
    this.commAcks.clear();
    if (this.pending) {
      const interrupted = this.killedChild === child;
      this.settle({
        error: {
          ename: interrupted ? "KeyboardInterrupt" : "RuntimeDied",
          evalue: interrupted
            ? "the cell did not stop on SIGINT and its runtime was killed; a fresh runtime has started and earlier variables are gone"
            : `the runtime running this cell ended (${how}); a fresh runtime has started and earlier variables are gone`,
          traceback: [],
        },
        pages: this.pending.pages,
      });
    }
    if (this.readyChild !== child) {
      this.failedStarts++;
      this.events.log(
        `runtime failed during start-up (${this.failedStarts} in a row): ${this.startupStderr.trim().split("\n").slice(-3).join(" | ")}`,
      );
    }
    if (!this.closed && this.failedStarts < 3) this.start();
  }
}

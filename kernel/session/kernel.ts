// Assembles a running kernel: sockets, session, executor child, type checker, history.
// Start-up binds the sockets and answers kernel_info at once; the runtime child and the
// TypeScript worker load in the background.
import { randomUUID } from "node:crypto";
import { KernelSockets } from "../wire/sockets.js";
import { readConnectionFile } from "../wire/connection.js";
import { ExecutorHost } from "../executor/host.js";
import { Checker } from "../executor/checker.js";
import { heapStats } from "../executor/heap-stats.js";
import { HistoryStore, defaultHistoryPath } from "../history/store.js";
import { Session } from "./session.js";
import { checkerHeapMb, typecheckMode, warningGraceMs } from "./ports.js";

export interface RunningKernel {
  /** Resolves when the kernel has shut down. */
  closed: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startKernel(connectionFile: string, log: (line: string) => void): Promise<RunningKernel> {
  const conn = await readConnectionFile(connectionFile);
  const mode = typecheckMode();
  const grace = warningGraceMs();
  const sockets = new KernelSockets(conn, randomUUID());
  await sockets.bind();

  const history = new HistoryStore(defaultHistoryPath());
  const historyLoaded = history.load().catch((err: Error) => log(`history: ${err.message}`));
  const background = mode === "background";
  const checker = new Checker(log, {
    backgroundChecks: background,
    holdChecks: background && grace === 0,
    heapMb: checkerHeapMb(),
  });
  let session: Session | undefined;
  const host = new ExecutorHost({
    output: (m) => session?.onRuntimeOutput(m),
    input: (cell, prompt, password) => session!.requestInput(cell, prompt, password),
    log,
  });

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing = false;
  const shutdown = async () => {
    if (closing) return closed;
    closing = true;
    host.close();
    await Promise.allSettled([checker.close(), history.flush(), sockets.close()]);
    resolveClosed();
  };

  session = new Session({
    transport: sockets,
    runtime: host,
    checker,
    history,
    typecheck: mode,
    warningGraceMs: grace,
    log,
    onShutdown: () => void shutdown(),
  });
  sockets.listen({
    message: (channel, msg) => {
      // History requests must see earlier sessions; loading is quick and usually done by now.
      if (msg.header.msg_type === "history_request") void historyLoaded.then(() => session!.onMessage(channel, msg));
      else session!.onMessage(channel, msg);
    },
    malformed: (channel, err) => session!.onMalformed(channel, err),
    log,
  });
  await session.starting();
  // Background start-up, after the sockets answer.
  // The runtime first (the first cell waits for it), then the checker, so that the two do not
  // compete for the CPU while TypeScript loads; a completion request starts the checker earlier.
  setImmediate(() => {
    host.start();
    void host.whenReady().then(() => checker.start());
  });
  process.on("SIGINT", () => host.interrupt());
  // PEFT_NB_HEAP_STATS=1: SIGUSR2 logs the kernel's and the checker worker's heaps after a forced
  // GC, one JSON line on stderr, to judge what the kernel keeps per cell (docs/kernel.md).
  if (process.env.PEFT_NB_HEAP_STATS)
    process.on("SIGUSR2", () => {
      const kernel = heapStats();
      void checker.heapStats().then(
        (c) => log(`heap-stats ${JSON.stringify({ kernel, checker: c })}`),
        (err: Error) => log(`heap-stats ${JSON.stringify({ kernel, checkerError: err.message })}`),
      );
    });
  process.on("SIGTERM", () => void shutdown());
  return { closed, shutdown };
}

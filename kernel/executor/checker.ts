// Kernel-side handle on the type-checker worker. Started in the background so kernel start-up
// does not wait for TypeScript to load; requests queue until it is ready.
import { Worker } from "node:worker_threads";
import type { CheckerRequest, CheckerResponse, CompletionResult, TypeDiagnostic } from "./checker-protocol.js";
import { projectRoot } from "./module-require.js";

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export class Checker {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(private readonly log: (line: string) => void = () => {}) {}

  start(): void {
    if (this.worker) return;
    const w = new Worker(new URL("./checker-worker.js", import.meta.url), { workerData: { projectRoot: projectRoot() } });
    w.unref();
    w.on("message", (res: CheckerResponse) => {
      const waiter = this.waiting.get(res.id);
      if (!waiter) return;
      this.waiting.delete(res.id);
      if (res.ok) waiter.resolve(res.value);
      else waiter.reject(new Error(res.error));
    });
    w.on("error", (err) => {
      this.failure = err;
      this.log(`type checker failed: ${err.stack ?? err.message}`);
    });
    w.on("exit", (code) => {
      const err = this.failure ?? new Error(`type checker exited with code ${code}`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.worker = null;
    });
    this.worker = w;
  }

  private request<T>(req: DistributiveOmit<CheckerRequest, "id">): Promise<T> {
    this.start();
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker!.postMessage({ ...req, id } as CheckerRequest);
    });
  }

  /** Type errors of a cell, in execution order with the cells before it. */
  check(code: string, keepOnError = true): Promise<TypeDiagnostic[]> {
    return this.request({ op: "check", code, keepOnError });
  }

  complete(code: string, cursor: number): Promise<CompletionResult> {
    return this.request({ op: "complete", code, cursor });
  }

  inspect(code: string, cursor: number): Promise<{ found: boolean; text: string }> {
    return this.request({ op: "inspect", code, cursor });
  }

  isComplete(code: string): Promise<{ status: "complete" | "incomplete" | "invalid"; indent?: string }> {
    return this.request({ op: "isComplete", code });
  }

  reset(): Promise<void> {
    return this.request({ op: "reset" });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

// Kernel-side handle on the type-checker worker. Started in the background so kernel start-up
// does not wait for TypeScript to load; requests queue until it is ready.
import type { Worker } from "node:worker_threads";
import type {
  CheckResult,
  CheckRuns,
  CheckerHeapStats,
  CheckerRequest,
  CheckerResponse,
  CheckerWorkerData,
  CompletionResult,
  TypeDiagnostic,
} from "./checker-protocol.js";
import { projectRoot } from "../../lib/project-root.js";
import { QuietBatch } from "./quiet-batch.js";
import { startWorkerWithOwnHeap } from "./own-heap-worker.js";

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Request = DistributiveOmit<CheckerRequest, "id">;

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** A request on its way to the worker, and whoever waits for it (several cells: a coalesced check). */
interface Pending {
  req: Request;
  waiters: Waiter[];
}

/**
 * A burst of the same cell (a flood of `++n`, a re-run in a loop) is held as one check with a
 * waiter per cell, so what the kernel keeps per held cell is its waiter, not a request.
 */
function coalesce(last: Pending, next: Pending): boolean {
  const a = last.req;
  const b = next.req;
  if (a.op !== "check" || b.op !== "check" || a.code !== b.code || a.keepOnError !== b.keepOnError) return false;
  last.waiters.push(...next.waiters);
  return true;
}

export interface CheckerOptions {
  /**
   * Cells do not wait for their checks (PEFT_NB_TYPECHECK=background): checks run at a lower CPU
   * priority than the cells, completions and inspections the worker serves.
   */
  backgroundChecks?: boolean;
  /**
   * Checks also wait for a quiet moment (no new check for QUIET_MS) before they reach the worker,
   * so that a burst of cells runs without checks beside it. For background mode without a
   * warning grace: a cell that waits for its warning should not wait for the quiet time too.
   */
  holdChecks?: boolean;
  /** The worker's own heap limit (old generation, MB), whatever the kernel process's is. */
  heapMb?: number;
}

/** Default heap limit of the checker worker: ~12x what it needs for a notebook importing this library. */
export const CHECKER_HEAP_MB = 1024;

/** Background checks go to the worker once no cell has come for this long (a burst has ended). */
export const QUIET_MS = 50;
/** ... or when the oldest has waited this long, so that a long burst is still checked. */
export const MAX_HOLD_MS = 1000;

export class Checker {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private failure: Error | null = null;
  /**
   * Why the worker stopped for good. A worker that failed is not started again: a fresh one
   * would have forgotten the earlier cells' declarations (false "Cannot find name" warnings) and,
   * if it failed for want of memory, would load TypeScript only to fail again.
   */
  private stopped: string | null = null;
  /**
   * The worker's declarations, as a version number: it bumps whenever a check changed them (or
   * they were reset). A cell checked at version v that changed nothing has the same answer the
   * next time at v, so re-running it (the trivial cell) needs no round trip to the worker.
   */
  private declVersion = 0;
  private checksInFlight = 0;
  private readonly unchanged = new Map<string, TypeDiagnostic[]>();
  private closing = false;
  private readonly held = new QuietBatch<Pending>(
    QUIET_MS,
    MAX_HOLD_MS,
    (all) => {
      for (const p of all) this.post(p);
    },
    coalesce,
  );

  constructor(
    private readonly log: (line: string) => void = () => {},
    private readonly options: CheckerOptions = {},
  ) {}

  start(): void {
    if (this.worker || this.closing || this.stopped) return;
    const workerData: CheckerWorkerData = {
      projectRoot: projectRoot(),
      backgroundChecks: this.options.backgroundChecks ?? false,
    };
    const heapMb = this.options.heapMb ?? CHECKER_HEAP_MB;
    const w = startWorkerWithOwnHeap(new URL("./checker-worker.js", import.meta.url), { workerData }, heapMb);
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
      this.forget();
      let err = this.failure ?? new Error(`type checker exited with code ${code}`);
      if (!this.closing) {
        const memory = (err as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
        const raise = memory ? `: its heap limit is ${heapMb} MB, set PEFT_NB_CHECKER_HEAP_MB to raise it` : "";
        this.stopped = `type checker stopped (${err.message})${raise}; cells still run, unchecked, until the kernel restarts`;
        this.log(this.stopped);
        err = new Error(this.stopped);
      }
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.worker = null;
    });
    this.worker = w;
  }

  /**
   * Sends `req` to the worker, or holds it back with the other background checks (`hold`).
   * Requests that depend on the declarations so far (complete, inspect, reset, a waited-for
   * check) first release the held checks, so the worker still sees every cell in order.
   */
  private request<T>(req: Request, hold = false): Promise<T> {
    if (this.closing) return Promise.reject(new Error(`type checker is shut down (${req.op} refused)`));
    // The reason alone, the same for every request, so the session shows it once.
    if (this.stopped) return Promise.reject(new Error(this.stopped));
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { req, waiters: [{ resolve: resolve as (v: unknown) => void, reject }] };
      if (hold) this.held.add(p);
      else {
        if (req.op !== "isComplete") this.held.flush();
        this.post(p);
      }
    });
  }

  private post(p: Pending): void {
    this.start();
    const reject = (e: Error) => {
      for (const w of p.waiters) w.reject(e);
    };
    if (!this.worker) {
      reject(new Error(this.stopped ?? `type checker is shut down (${p.req.op} refused)`));
      return;
    }
    const id = ++this.seq;
    const req = p.req.op === "check" ? { ...p.req, repeat: p.waiters.length } : p.req;
    const resolve = (v: unknown) => {
      if (req.op !== "check") {
        p.waiters[0]?.resolve(v);
        return;
      }
      // One result per run until one changed nothing; that last one answers the later runs.
      const { runs } = v as CheckRuns;
      const last = runs[runs.length - 1]!;
      for (const [i, w] of p.waiters.entries()) w.resolve(runs[i] ?? { diags: last.diags, changed: false });
    };
    this.waiting.set(id, { resolve, reject });
    this.worker.postMessage({ ...req, id } as CheckerRequest);
  }

  /** Type errors of a cell, in execution order with the cells before it. */
  check(code: string, keepOnError = true): Promise<TypeDiagnostic[]> {
    // With checks still queued the worker's version at this cell is not known yet.
    const key = this.checksInFlight === 0 ? `${this.declVersion}\u0000${keepOnError}\u0000${code}` : null;
    const hit = key === null ? undefined : this.unchanged.get(key);
    if (hit) return Promise.resolve(hit);
    this.checksInFlight++;
    const done = () => this.checksInFlight--;
    const hold = this.options.holdChecks ?? false;
    return this.request<CheckResult>({ op: "check", code, keepOnError, repeat: 1 }, hold).then(
      (r) => {
        done();
        if (r.changed) this.declVersion++;
        else if (key !== null) {
          this.unchanged.set(key, r.diags);
          if (this.unchanged.size > 200) this.unchanged.delete(this.unchanged.keys().next().value as string);
        }
        return r.diags;
      },
      (err: Error) => {
        done();
        this.forget(); // the worker's state after a failed check is unknown
        // A shut-down kernel has nobody to warn; its pending checks just end.
        if (this.closing) return [];
        throw err;
      },
    );
  }

  /** The worker's declarations are gone (reset, or a fresh worker). */
  private forget(): void {
    this.declVersion++;
    this.unchanged.clear();
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

  /**
   * The worker's heap after a forced GC, and what this side holds: checks held back (`held`),
   * requests the worker has not answered (`waiting`), remembered answers (`unchanged`).
   */
  async heapStats(): Promise<{ held: number; waiting: number; unchanged: number; worker: CheckerHeapStats }> {
    const counts = { held: this.held.size, waiting: this.waiting.size, unchanged: this.unchanged.size };
    return { ...counts, worker: await this.request<CheckerHeapStats>({ op: "heapStats" }) };
  }

  reset(): Promise<void> {
    this.forget();
    return this.request({ op: "reset" });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.held.take()) for (const w of p.waiters) w.reject(new Error("type checker is shut down"));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

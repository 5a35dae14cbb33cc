// cachedRuns' local run pool: several processes, each with its share of the cores, train the runs
// that are not cached yet, side by side, into the run cache. On a CPU the small models of a
// reproduction leave much of a step to single-threaded dispatch and elementwise loops, so two
// one-thread processes train about 1.6x as many runs per minute on 2 cores as one two-thread
// process (docs/pipeline.md, "Runs in parallel"). Each run's result is the one a process with
// that thread count computes; the run cache key does not name the thread count (bitwise equality
// holds at a fixed thread count only, docs/models.md).
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { resolveThreads } from "../backend/select.js";
import type { RunMethodOptions } from "../experiments/run-method.js";
import { threadEnv } from "../sweep/job-process.js";
import { encodeOptions } from "../sweep/run-job.js";
import type { PoolMessage, PoolRequest } from "./run-pool-protocol.js";

const CHILD = fileURLToPath(new URL("./run-pool-child.js", import.meta.url));

/** The pool size from the option, else PEFT_PARALLEL_RUNS, else 1 (train in this process); a bad value names its source. */
export function parallelRuns(option?: number | null): number {
  const [raw, source] =
    option !== undefined && option !== null
      ? [String(option), "parallel"]
      : [process.env.PEFT_PARALLEL_RUNS, "PEFT_PARALLEL_RUNS"];
  if (raw === undefined || raw.trim() === "") return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${source}: expected a positive integer (runs trained at once), found ${JSON.stringify(raw)}`);
  return n;
}

/** Threads per pool process: PEFT_THREADS when set (read as the backend reads it), else the machine's cores shared evenly, at least one each. */
export function threadsPerRun(workers: number, cores = availableParallelism()): number {
  const env = process.env.PEFT_THREADS;
  if (env !== undefined && env.trim() !== "") return resolveThreads();
  return Math.max(1, Math.floor(cores / workers));
}

export interface PoolSettings {
  workers: number;
  threads: number;
  /** The tfjs backend the run keys were computed for; every pool process starts it. */
  backend: string;
  cacheDir: string;
  adapters: boolean;
}

export type PoolEnd = { ok: true; seconds: number } | { ok: false; error: string };

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  /** The run this process is training, if any. */
  current: number | null;
}

/**
 * Trains `runs` (by index) in `settings.workers` processes into the run cache, and calls `onEnd`
 * as each one ends. A process that dies fails its current run and is replaced for the rest.
 */
export async function trainInPool(
  runs: readonly { id: number; options: RunMethodOptions }[],
  settings: PoolSettings,
  onEnd: (id: number, end: PoolEnd) => void,
): Promise<void> {
  const queue = [...runs];
  const encoded = new Map<number, Record<string, unknown>>();
  for (const r of runs) encoded.set(r.id, encodeOptions(r.options));
  let settle: (() => void) | undefined;
  const allDone = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let open = runs.length;
  const finish = (id: number, end: PoolEnd) => {
    onEnd(id, end);
    if (--open === 0) settle?.();
  };

  const start = (): Slot => {
    const child = fork(CHILD, [], {
      env: { ...process.env, ...threadEnv(settings.threads), PEFT_PARALLEL_RUNS: "1" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    const slot: Slot = { child, current: null, ready: Promise.resolve() };
    let initError: string | null = null;
    slot.ready = new Promise<void>((resolve, reject) => {
      child.on("message", (m: PoolMessage) => {
        if (m.type === "ready") resolve();
        else if (m.type === "init-failed") {
          initError = m.error;
          reject(new Error(m.error));
        } else if (m.id === slot.current) {
          slot.current = null;
          finish(m.id, m.type === "done" ? { ok: true, seconds: m.seconds } : { ok: false, error: m.error });
          next(slot);
        }
      });
      child.on("error", (e) => reject(new Error(`could not start a run pool process: ${e.message}`)));
    });
    slot.ready.catch(() => undefined);
    child.on("exit", (code, signal) => {
      const lost = slot.current;
      slot.current = null;
      if (lost !== null) {
        const how = signal
          ? `killed by ${signal}${signal === "SIGKILL" ? " (out of memory, or killed by hand)" : ""}`
          : `exited with code ${code}`;
        finish(lost, {
          ok: false,
          error: initError ?? `the run pool process training this run ${how} before it stored a result`,
        });
      }
      // A process that could not even start fails what is left: another would fail the same way.
      if (initError !== null) {
        while (queue.length > 0) finish(queue.shift()!.id, { ok: false, error: initError });
        return;
      }
      if (queue.length > 0) next(start());
    });
    child.send({
      type: "init",
      backend: settings.backend,
      cacheDir: settings.cacheDir,
      adapters: settings.adapters,
    } satisfies PoolRequest);
    return slot;
  };

  const next = (slot: Slot) => {
    const run = queue.shift();
    if (!run) {
      slot.child.disconnect();
      return;
    }
    slot.current = run.id;
    slot.ready.then(
      () => slot.child.send({ type: "run", id: run.id, options: encoded.get(run.id)! } satisfies PoolRequest),
      () => undefined, // the exit handler fails it
    );
  };

  if (runs.length === 0) return;
  const slots = Array.from({ length: Math.min(settings.workers, runs.length) }, start);
  for (const s of slots) next(s);
  // Every run ends exactly once (done, failed, or lost with its process), so the queue is empty here.
  await allDone;
}

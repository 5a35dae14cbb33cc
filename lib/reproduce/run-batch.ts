// The reproduction notebooks' verb for many runs at once: locally each is trained (or read from the
// run cache) in turn, or by a pool of processes side by side (`parallel`, run-pool.ts); with a queue (the `queue` option, else PEFT_QUEUE_URL) they all become jobs
// at once, so every worker of the sweep trains one while the notebook waits. Either way a run that
// fails comes back as a RunFailure in its place and the others still run.
import * as tf from "@tensorflow/tfjs";
import { progressBar } from "../display/progress.js";
import { RUNS_PROGRESS_KIND } from "../display/progress-report.js";
import type { RunMethodOptions } from "../experiments/run-method.js";
import { queueUrlFrom } from "../sweep/queue-url.js";
import { invalidRunKey, type RunOutcome } from "./run-outcome.js";
import { trainInPool, parallelRuns, threadsPerRun } from "./run-pool.js";
import { cachedRun, defaultRunCacheDir, readCachedRun, runKey, type CachedRunOptions } from "./runs.js";

export interface CachedRunsOptions extends CachedRunOptions {
  /** Redis URL of a sweep's queue (redis://[user:password@]host:port, rediss:// for TLS); null or absent: PEFT_QUEUE_URL; false: run locally. */
  queue?: string | null | false;
  /** The sweep's result store (a folder every worker and the notebook reach); default PEFT_RESULT_STORE, else <project>/.cache/results. */
  store?: string | null;
  /** Who asks, shown by `peft-nb queue status`. */
  notebook?: string;
  /** Live table of queued runs (default on in notebooks). */
  view?: boolean;
  /** A live "runs done / total" bar with elapsed time and an estimate of what remains (default on). */
  progress?: boolean;
  /** The bar's label (default "runs"). */
  label?: string;
  /**
   * Local runs only: how many runs train at once, each in its own process with an even share of the
   * cores (run-pool.ts); default PEFT_PARALLEL_RUNS, else 1 (one after another in this process).
   * Needs the run cache (the processes hand results back through it): with cacheDir null runs train here.
   */
  parallel?: number | null;
}

export async function cachedRuns(
  list: readonly RunMethodOptions[],
  opts: CachedRunsOptions = {},
): Promise<RunOutcome[]> {
  const url = opts.queue === false ? null : queueUrlFrom(opts.queue);
  if (url) {
    if (opts.cacheDir === null)
      throw new Error(
        "cachedRuns: cache=false cannot be combined with a queue: the sweep's result store is its cache; point `store` at an empty folder to train every run again",
      );
    const { queuedRuns } = await import("../sweep/queued-runs.js");
    return queuedRuns(list, {
      queue: url,
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.notebook ? { notebook: opts.notebook } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.view !== undefined ? { view: opts.view } : {}),
      ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
    });
  }
  const workers = parallelRuns(opts.parallel);
  const cacheDir = opts.cacheDir === undefined ? defaultRunCacheDir() : opts.cacheDir;
  // Runs read back from the cache take no time, so only trained runs predict what remains.
  const trainedSeconds: number[] = [];
  const pooled = workers > 1 && cacheDir !== null;
  const bar =
    opts.progress === false || list.length === 0
      ? undefined
      : progressBar({
          total: list.length,
          label: opts.label ?? "runs",
          kind: RUNS_PROGRESS_KIND,
          eta: (done, total) =>
            trainedSeconds.length === 0
              ? done >= total
                ? 0
                : undefined
              : ((total - done) * trainedSeconds.reduce((a, b) => a + b, 0)) /
                trainedSeconds.length /
                (pooled ? workers : 1),
        });
  const counts = { trained: 0, cached: 0, failed: 0 };
  const out: (RunOutcome | undefined)[] = new Array(list.length);
  let ended = 0;
  const end = (i: number, outcome: RunOutcome, seconds: number | null) => {
    out[i] = outcome;
    ended++;
    if (!outcome.ok) {
      opts.log?.(`${outcome.key}: FAILED: ${outcome.error.split("\n")[0]}`);
      counts.failed++;
    } else if (outcome.cached) counts.cached++;
    else counts.trained++;
    if (seconds !== null) trainedSeconds.push(seconds);
    const o = list[i]!;
    bar?.update(ended, { ...counts, last: `${o.method}/${o.task}/seed ${o.seed ?? 0}` });
  };
  const failure = (i: number, key: string, error: string): RunOutcome => {
    const o = list[i]!;
    return { ok: false, key, method: o.method, task: o.task, seed: o.seed ?? 0, error };
  };

  if (pooled) {
    // Cached runs are read here; the rest train in the pool and are read back as each one ends.
    const pending: { id: number; options: RunMethodOptions }[] = [];
    const keys: string[] = [];
    list.forEach((o, i) => {
      keys[i] = invalidRunKey(o);
      try {
        keys[i] = runKey(o);
        const hit = readCachedRun(o, { ...opts, cacheDir }, keys[i]);
        if (hit) {
          opts.log?.(`${keys[i]}: read from cache`);
          end(i, { ...hit, ok: true, key: keys[i]! }, null);
        } else pending.push({ id: i, options: o });
      } catch (e) {
        end(i, failure(i, keys[i]!, (e as Error).stack ?? String(e)), null);
      }
    });
    const settings = {
      workers,
      threads: threadsPerRun(workers),
      backend: tf.getBackend(),
      cacheDir,
      adapters: opts.adapters ?? false,
    };
    if (pending.length > 0)
      opts.log?.(
        `training ${pending.length} runs in ${Math.min(workers, pending.length)} processes of ${settings.threads} thread(s) each`,
      );
    await trainInPool(pending, settings, (i, e) => {
      if (!e.ok) return end(i, failure(i, keys[i]!, e.error), null);
      const r = readCachedRun(list[i]!, { ...opts, cacheDir }, keys[i]);
      if (!r)
        return end(
          i,
          failure(i, keys[i]!, "the run pool reported the run trained, but its result is not in the run cache"),
          e.seconds,
        );
      opts.log?.(`${keys[i]}: trained in ${e.seconds.toFixed(1)} s (run pool)`);
      end(i, { ...r, cached: false, ok: true, key: keys[i]! }, e.seconds);
    });
  } else {
    for (const [i, o] of list.entries()) {
      const t0 = performance.now();
      // Options runMethod refuses have no key; they fail in their place like any other run.
      let key = invalidRunKey(o);
      try {
        key = runKey(o);
        const r = await cachedRun(o, opts);
        end(i, { ...r, ok: true, key }, r.cached ? null : (performance.now() - t0) / 1000);
      } catch (e) {
        end(i, failure(i, key, (e as Error).stack ?? String(e)), (performance.now() - t0) / 1000);
      }
    }
  }
  bar?.close();
  return out as RunOutcome[];
}

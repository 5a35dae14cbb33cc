// The reproduction notebooks' verb for many runs at once: locally each is trained (or read from the
// run cache) in turn; with a queue (the `queue` option, else PEFT_QUEUE_URL) they all become jobs
// at once, so every worker of the sweep trains one while the notebook waits. Either way a run that
// fails comes back as a RunFailure in its place and the others still run.
import { progressBar } from "../display/progress.js";
import { RUNS_PROGRESS_KIND } from "../display/progress-report.js";
import type { RunMethodOptions } from "../experiments/run-method.js";
import { queueUrlFrom } from "../sweep/queue-url.js";
import { invalidRunKey, type RunOutcome } from "./run-outcome.js";
import { cachedRun, runKey, type CachedRunOptions } from "./runs.js";

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
  const out: RunOutcome[] = [];
  // Runs read back from the cache take no time, so only trained runs predict what remains.
  const trainedSeconds: number[] = [];
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
              : ((total - done) * trainedSeconds.reduce((a, b) => a + b, 0)) / trainedSeconds.length,
        });
  const counts = { trained: 0, cached: 0, failed: 0 };
  for (const o of list) {
    const t0 = performance.now();
    // Options runMethod refuses have no key; they fail in their place like any other run.
    let key = invalidRunKey(o);
    try {
      key = runKey(o);
      const r = await cachedRun(o, opts);
      out.push({ ...r, ok: true, key });
      if (r.cached) counts.cached++;
      else {
        counts.trained++;
        trainedSeconds.push((performance.now() - t0) / 1000);
      }
    } catch (e) {
      const error = (e as Error).stack ?? String(e);
      opts.log?.(`${key}: FAILED: ${(e as Error).message}`);
      out.push({ ok: false, key, method: o.method, task: o.task, seed: o.seed ?? 0, error });
      counts.failed++;
      trainedSeconds.push((performance.now() - t0) / 1000);
    }
    bar?.update(out.length, { ...counts, last: `${o.method}/${o.task}/seed ${o.seed ?? 0}` });
  }
  bar?.close();
  return out;
}

// The reproduction notebooks' verb for many runs at once: locally each is trained (or read from the
// run cache) in turn; with a queue (the `queue` option, else PEFT_QUEUE_URL) they all become jobs
// at once, so every worker of the sweep trains one while the notebook waits. Either way a run that
// fails comes back as a RunFailure in its place and the others still run.
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
    });
  }
  const out: RunOutcome[] = [];
  for (const o of list) {
    // Options runMethod refuses have no key; they fail in their place like any other run.
    let key = invalidRunKey(o);
    try {
      key = runKey(o);
      out.push({ ...(await cachedRun(o, opts)), ok: true, key });
    } catch (e) {
      const error = (e as Error).stack ?? String(e);
      opts.log?.(`${key}: FAILED: ${(e as Error).message}`);
      out.push({ ok: false, key, method: o.method, task: o.task, seed: o.seed ?? 0, error });
    }
  }
  return out;
}

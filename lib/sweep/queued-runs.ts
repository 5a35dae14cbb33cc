// The notebook's side of a sweep: every run it asks for becomes a BullMQ job whose id is the run's
// cache key, so a run is trained once whichever notebook or machine asks for it; results come back
// through the result store, never through Redis. The wait trusts the store first and the queue
// second: a job Redis lost (a restart without persistence) is added again, a result already stored
// is never trained again (workers check the store before training).
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { Queue, QueueEvents } from "bullmq";
import type { RunMethodOptions } from "../experiments/run-method.js";
import { progressBar } from "../display/progress.js";
import { RUNS_PROGRESS_KIND } from "../display/progress-report.js";
import { currentDisplaySink } from "../display/sink.js";
import { runKey } from "../reproduce/runs.js";
import { invalidRunKey, type RunFailure, type RunOutcome, type RunSuccess } from "../reproduce/run-outcome.js";
import { checkReachable, connectionOptions, redisClient } from "./connection.js";
import { KEY_PREFIX, checkQueueUrl, queueNameFrom, redactUrl } from "./queue-url.js";
import { aliveWorkers, recordRequests } from "./registry.js";
import { DirectoryResultStore, checkRunKey, defaultResultStoreDir } from "./result-store.js";
import { encodeOptions, type RunJobData, type RunJobProgress, type RunJobReturn } from "./run-job.js";
import { sweepView, type RunRow } from "./sweep-view.js";

export interface QueuedRunsOptions {
  /** Redis URL of the queue. */
  queue: string;
  queueName?: string;
  /** Result store folder, the same one the workers write (default PEFT_RESULT_STORE, else <project>/.cache/results). */
  store?: string | null;
  /** Who asks, for `peft-nb queue status` (default "notebook"). */
  notebook?: string;
  log?(message: string): void;
  /** Live table of the runs (default: on rich display sinks such as a notebook's). */
  view?: boolean;
  /** A live "runs done / total" bar with an estimate of what remains (default on), as cachedRuns draws locally. */
  progress?: boolean;
  /** How often the queue is polled besides its events (default 2000 ms). */
  pollMs?: number;
  /** How long a job may show as completed while its result is not yet visible in the store (NFS caches; default 60 s). */
  storeGraceMs?: number;
}

/** Job options: keep finished jobs, so adding the same id again is a no-op and failures stay visible. */
const JOB_OPTIONS = { removeOnComplete: false, removeOnFail: false, attempts: 1 } as const;

const label = (o: RunMethodOptions) => `${o.method} ${o.task} s${o.seed ?? 0}`;

function failure(o: RunMethodOptions, key: string, error: string): RunFailure {
  return { ok: false, key, method: o.method, task: o.task, seed: o.seed ?? 0, error };
}

export async function queuedRuns(list: readonly RunMethodOptions[], o: QueuedRunsOptions): Promise<RunOutcome[]> {
  const url = checkQueueUrl(o.queue);
  const queueName = queueNameFrom(o.queueName);
  const store = new DirectoryResultStore(o.store ?? defaultResultStoreDir());
  const notebook = o.notebook ?? "notebook";
  const log = o.log ?? (() => undefined);
  const backend = tf.getBackend();
  const byKey = new Map<string, RunMethodOptions>();
  const outcomes = new Map<string, RunOutcome>();
  const keys = list.map((opts) => {
    let key: string;
    try {
      key = checkRunKey(runKey(opts));
    } catch (e) {
      // Options runMethod refuses never become a job; they fail in their place.
      key = invalidRunKey(opts);
      outcomes.set(key, failure(opts, key, (e as Error).stack ?? String(e)));
      return key;
    }
    byKey.set(key, opts);
    return key;
  });
  const rows = new Map<string, RunRow>();
  const fromStore = async (key: string, cached: boolean): Promise<RunSuccess> => {
    const stored = await store.read(key);
    if (!stored) throw new Error(`result store: ${key} vanished from ${store.root}`);
    const adapter = stored.summary.adapter;
    return {
      ...stored.result,
      ok: true,
      key,
      cached,
      worker: stored.summary.provenance.worker,
      ...(adapter ? { adapterDir: join(store.runDir(key), adapter) } : {}),
    };
  };
  for (const [key, opts] of byKey) {
    const stored = store.has(key);
    if (stored) outcomes.set(key, await fromStore(key, true));
    rows.set(key, { key, label: label(opts), status: stored ? "stored" : "waiting" });
  }
  const pending = new Set([...byKey.keys()].filter((k) => !outcomes.has(k)));
  if (pending.size > 0) {
    log(
      `${pending.size} of ${byKey.size} run(s) to train through queue ${queueName} at ${redactUrl(url)}; results in ${store.root}`,
    );
    await checkReachable(url);
    for (const dir of new Set([...pending].map((k) => byKey.get(k)!.baseDir))) {
      // The project's own base models (they carry pretrain.json) are small: publish them for workers that lack them.
      if (existsSync(join(dir, "pretrain.json"))) await store.publishBase(dir, basename(dir));
    }
    await waitForJobs();
  }
  return keys.map((k) => outcomes.get(k)!);

  async function waitForJobs(): Promise<void> {
    const connection = connectionOptions(url);
    const queue = new Queue<RunJobData, RunJobReturn, string>(queueName, { connection, prefix: KEY_PREFIX });
    const events = new QueueEvents(queueName, { connection, prefix: KEY_PREFIX });
    const redis = redisClient(url);
    let lastError = "";
    const onError = (e: Error) => {
      if (e.message !== lastError) log(`queue: ${e.message} (retrying)`);
      lastError = e.message;
    };
    queue.on("error", onError);
    events.on("error", onError);
    redis.on("error", onError);
    const view = sweepView([...rows.values()], o.view ?? currentDisplaySink().rich);
    // Workers train in parallel, so what remains is estimated from the rate of runs finished since the wait began.
    const doneAtStart = keys.length - pending.size;
    const bar =
      o.progress === false
        ? undefined
        : progressBar({
            total: keys.length,
            label: "runs (queued)",
            kind: RUNS_PROGRESS_KIND,
            eta: (done, total, elapsed) =>
              done > doneAtStart ? ((total - done) * elapsed) / (done - doneAtStart) : undefined,
          });
    let wake: () => void = () => undefined;
    const wakeUp = ({ jobId }: { jobId: string }) => {
      if (pending.has(jobId)) wake();
    };
    events.on("completed", wakeUp);
    events.on("failed", wakeUp);
    events.on("progress", ({ jobId, data }) => {
      const row = rows.get(jobId);
      if (!row || !pending.has(jobId)) return;
      row.status = "active";
      row.progress = data as RunJobProgress;
      view.changed();
    });
    const add = (key: string) =>
      queue.add(
        notebook,
        {
          key,
          options: encodeOptions(byKey.get(key)!),
          backend,
          baseName: basename(byKey.get(key)!.baseDir),
          notebook,
          submittedAt: new Date().toISOString(),
        },
        { ...JOB_OPTIONS, jobId: key },
      );
    try {
      await recordRequests(redis, queueName, notebook, [...pending]);
      for (const key of pending) await add(key);
      const completedAt = new Map<string, number>();
      const rerun = new Set<string>();
      let noWorkerSince: number | null = null;
      while (pending.size > 0) {
        for (const key of [...pending]) await check(key, completedAt, rerun);
        view.changed();
        bar?.update(keys.length - pending.size, { cached: doneAtStart });
        if (pending.size === 0) break;
        noWorkerSince = await warnWithoutWorkers(redis, noWorkerSince);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.pollMs ?? 2000);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      bar?.close();
      view.close();
      await Promise.allSettled([queue.close(), events.close()]);
      redis.disconnect();
    }

    async function check(key: string, completedAt: Map<string, number>, rerun: Set<string>): Promise<void> {
      const row = rows.get(key)!;
      const opts = byKey.get(key)!;
      if (store.has(key)) {
        const r = await fromStore(key, false);
        outcomes.set(key, r);
        pending.delete(key);
        row.status = "done";
        log(`${key}: trained by ${r.worker ?? "?"}`);
        return;
      }
      const state = await queue.getJobState(key);
      if (state === "unknown") {
        // Redis lost the job (restarted without persistence, or someone removed it): ask again.
        log(`${key}: the queue no longer knows this run; adding it again`);
        await recordRequests(redis, queueName, notebook, [...byKey.keys()]);
        await add(key);
        Object.assign(row, { status: "waiting", progress: undefined });
      } else if (state === "failed") {
        const job = await queue.getJob(key);
        const error = job?.failedReason || "failed without a reason";
        outcomes.set(key, failure(opts, key, error));
        pending.delete(key);
        Object.assign(row, { status: "failed", note: error.split("\n")[0] });
        log(`${key}: FAILED: ${error.split("\n")[0]}`);
      } else if (state === "completed") {
        // Completed, yet its result is not here: the store was emptied since (train it again, once),
        // or the worker writes to another store. A worker on this machine writing to this folder
        // is certain; otherwise wait out NFS's caching of directory entries first.
        const job = await queue.getJob(key);
        const rv = job?.returnvalue;
        const first = completedAt.get(key) ?? Date.now();
        completedAt.set(key, first);
        const sure = rv?.host === hostname() && rv?.store === store.root;
        if (!sure && Date.now() - first <= (o.storeGraceMs ?? 60_000)) return;
        if (!rerun.has(key) && job) {
          rerun.add(key);
          completedAt.delete(key);
          log(`${key}: completed on ${rv?.worker ?? "?"} but not in ${store.root}; training it again`);
          await job.retry("completed");
          row.status = "waiting";
          return;
        }
        const error = `job ${key} completed on worker ${rv?.worker ?? "?"} (host ${rv?.host ?? "?"}, store ${rv?.store ?? "?"}), but ${store.root} does not hold its result: do the workers and this notebook share one result store?`;
        outcomes.set(key, failure(opts, key, error));
        pending.delete(key);
        Object.assign(row, { status: "failed", note: error });
      } else if (state === "active") row.status = "active";
      else row.status = "waiting"; // waiting, delayed, or back in the queue after its worker died
    }
  }

  async function warnWithoutWorkers(
    redis: ReturnType<typeof redisClient>,
    since: number | null,
  ): Promise<number | null> {
    const alive = await aliveWorkers(redis, queueName).catch(() => null);
    if (alive === null || alive.length > 0) return null;
    const now = Date.now();
    if (since !== null && now - since > 15_000) {
      log(`no worker is alive on queue ${queueName}: start one with \`peft-nb worker --queue ${redactUrl(url)}\``);
      return now;
    }
    return since ?? now;
  }
}

// `peft-nb worker`: takes run jobs from the queue and trains each in its own child process
// (train-job.ts) with the local backend, `concurrency` at a time, each with a thread budget so
// concurrent jobs share the cores without oversubscribing them. BullMQ renews each job's lock while
// its child trains; when a worker dies its locks lapse, another worker's stalled-job check puts the
// job back in the queue, and whoever takes it next resumes from the run's checkpoint in the store.
import { availableParallelism, hostname } from "node:os";
import { DelayedError, type Job, Worker } from "bullmq";
import { checkReachable, connectionOptions, redisClient } from "./connection.js";
import { KEY_PREFIX, queueNameFrom, redactUrl } from "./queue-url.js";
import { startChildJob } from "./job-process.js";
import { beat, forgetWorker } from "./registry.js";
import { DirectoryResultStore, defaultResultStoreDir } from "./result-store.js";
import type { RunJobData, RunJobProgress, RunJobReturn } from "./run-job.js";
import type { ChildProcess } from "node:child_process";

export interface SweepWorkerOptions {
  url: string;
  queueName?: string;
  /** Result store folder (default PEFT_RESULT_STORE, else <project>/.cache/results). */
  storeDir?: string;
  /** Jobs trained at once, each in its own process (default 1). */
  concurrency?: number;
  /** Threads each job's math libraries may use (default: the machine's cores / concurrency). */
  threads?: number;
  /** Checkpoint a run into the store every this many optimiser steps (default 10). */
  checkpointEvery?: number;
  /** Unique among the sweep's workers (default <host>-<pid>). */
  name?: string;
  /** Train on this backend instead of the one each job was keyed for. */
  backend?: string;
  modelsDir?: string;
  dataDir?: string;
  /** How long a job's lock lasts without renewal: a dead worker's job is retaken after about this (default 30 s). */
  lockMs?: number;
  /** How often this worker looks for jobs whose worker died (default 30 s). */
  stalledMs?: number;
  /** Times a job may be retaken from a dead worker before it fails (default 5). */
  maxStalled?: number;
  heartbeatMs?: number;
  log?(line: string): void;
}

export interface SweepWorker {
  readonly name: string;
  readonly threads: number;
  readonly concurrency: number;
  /** Finishes the jobs in flight, then stops. */
  close(): Promise<void>;
  /** Kills the jobs in flight now; they are retaken elsewhere once their locks lapse and resume from their checkpoints. */
  kill(): void;
}

function positive(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < 1) throw new Error(`worker: ${name} must be a positive integer, found ${v}`);
  return x;
}

export async function startSweepWorker(o: SweepWorkerOptions): Promise<SweepWorker> {
  const log = o.log ?? ((l: string) => console.log(l));
  const queue = queueNameFrom(o.queueName);
  const concurrency = positive("concurrency", o.concurrency, 1);
  const threads = positive("threads", o.threads, Math.max(1, Math.floor(availableParallelism() / concurrency)));
  const checkpointEvery = positive("checkpointEvery", o.checkpointEvery, 10);
  const lockMs = positive("lockMs", o.lockMs, 30_000);
  const heartbeatMs = positive("heartbeatMs", o.heartbeatMs, 5_000);
  const name = o.name ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new Error(`worker: name ${JSON.stringify(name)} may hold letters, digits, '.', '_', '-'`);
  const store = new DirectoryResultStore(o.storeDir ?? defaultResultStoreDir());
  await checkReachable(o.url);
  const active = new Map<string, ChildProcess>();
  const startedAt = new Date().toISOString();

  const redis = redisClient(o.url);
  redis.on("error", () => undefined); // reported once through the BullMQ worker's "error" below
  const beatNow = () =>
    beat(
      redis,
      queue,
      {
        name,
        host: hostname(),
        pid: process.pid,
        concurrency,
        threads,
        active: [...active.keys()],
        startedAt,
        at: Date.now(),
      },
      3 * heartbeatMs,
    ).catch(() => undefined);
  const processor = async (job: Job<RunJobData, RunJobReturn>, token?: string): Promise<RunJobReturn> => {
    const key = job.data.key;
    if (store.has(key)) {
      log(`skip ${key}: already in the store`);
      return { key, trained: false, worker: name, host: hostname(), store: store.root, seconds: 0 };
    }
    const lease = await store.liveLease(key, lockMs);
    if (lease) {
      // Another process is training this run (the job was re-added after Redis lost it): wait for it.
      log(`delay ${key}: ${lease.worker} (pid ${lease.pid} on ${lease.host}) is training it`);
      await job.moveToDelayed(Date.now() + lockMs, token);
      throw new DelayedError();
    }
    let lastUpdate = 0;
    let lastPhase = "";
    const onProgress = (p: RunJobProgress) => {
      const now = Date.now();
      if (p.phase === lastPhase && now - lastUpdate < 500) return;
      lastUpdate = now;
      lastPhase = p.phase;
      job.updateProgress(p).catch(() => undefined); // Redis away: the next update will do
    };
    const c = startChildJob(
      {
        type: "train",
        job: job.data,
        worker: name,
        storeDir: store.root,
        threads,
        checkpointEvery,
        leaseMs: lockMs,
        ...(o.backend ? { backend: o.backend } : {}),
        ...(o.modelsDir ? { modelsDir: o.modelsDir } : {}),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
      },
      onProgress,
    );
    active.set(key, c.child);
    void beatNow();
    log(`start ${key} child ${c.child.pid}`);
    try {
      const r = await c.done;
      log(
        `done ${key} trained in ${r.seconds.toFixed(1)} s${r.resumedFromStep !== undefined ? ` (resumed from step ${r.resumedFromStep})` : ""}`,
      );
      return { key, trained: true, worker: name, host: hostname(), store: store.root, seconds: r.seconds };
    } catch (e) {
      const error = `${name}: ${(e as Error).message}`;
      log(`failed ${key}: ${error.split("\n")[0]}`);
      await store.writeFailure({ key, worker: name, at: new Date().toISOString(), error }).catch(() => undefined);
      throw new Error(error);
    } finally {
      active.delete(key);
      void beatNow();
    }
  };

  const worker = new Worker<RunJobData, RunJobReturn>(queue, processor, {
    connection: connectionOptions(o.url),
    prefix: KEY_PREFIX,
    name,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: positive("stalledMs", o.stalledMs, 30_000),
    maxStalledCount: positive("maxStalled", o.maxStalled, 5),
    autorun: false,
  });
  let lastError = "";
  worker.on("error", (e) => {
    // ioredis repeats a connection error on every retry while Redis is away; say it once
    if (e.message !== lastError) log(`queue error: ${e.message}`);
    lastError = e.message;
  });
  worker.on("stalled", (id) => log(`stalled ${id}: its worker stopped renewing the lock; back in the queue`));
  await beatNow();
  const heart = setInterval(beatNow, heartbeatMs);
  void worker.run();
  await worker.waitUntilReady();
  log(
    `worker ${name} on ${redactUrl(o.url)} queue ${queue}: concurrency ${concurrency}, ${threads} thread(s) per job, checkpoints every ${checkpointEvery} steps, store ${store.root}`,
  );

  const stop = async () => {
    clearInterval(heart);
    await forgetWorker(redis, queue, name).catch(() => undefined);
    redis.disconnect();
  };
  return {
    name,
    threads,
    concurrency,
    async close() {
      await worker.close();
      await stop();
    },
    kill() {
      for (const child of active.values()) child.kill("SIGKILL");
      clearInterval(heart);
      redis.disconnect();
    },
  };
}

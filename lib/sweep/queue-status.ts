// `peft-nb queue status`: what a sweep is doing, from Redis (job states, per notebook from the
// registry's request sets, and the workers whose heartbeat is fresh) and, when given, the result store.
import { Queue } from "bullmq";
import type { Table } from "../plots/table.js";
import { tableToText } from "../plots/table.js";
import { shortError } from "../reproduce/run-outcome.js";
import { checkReachable, connectionOptions, redisClient } from "./connection.js";
import { KEY_PREFIX, queueNameFrom, redactUrl } from "./queue-url.js";
import { aliveWorkers, notebookRequests, type WorkerBeat } from "./registry.js";
import type { DirectoryResultStore } from "./result-store.js";

export interface NotebookCounts {
  notebook: string;
  total: number;
  waiting: number;
  active: number;
  done: number;
  failed: number;
  /** Asked for but unknown to the queue and not in the store (Redis lost it; the notebook re-adds it when it waits again). */
  missing: number;
}

export interface QueueStatus {
  url: string;
  queue: string;
  counts: Record<string, number>;
  notebooks: NotebookCounts[];
  workers: Array<WorkerBeat & { ageSeconds: number }>;
  failed: Array<{ key: string; error: string }>;
  /** Results in the store, when one was given. */
  stored?: number;
}

const WAITING = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

export async function queueStatus(
  url: string,
  opts: { queueName?: string; store?: DirectoryResultStore } = {},
): Promise<QueueStatus> {
  const queueName = queueNameFrom(opts.queueName);
  await checkReachable(url);
  const queue = new Queue(queueName, { connection: connectionOptions(url), prefix: KEY_PREFIX });
  const redis = redisClient(url);
  try {
    const counts = await queue.getJobCounts("waiting", "active", "completed", "failed", "delayed", "prioritized");
    const notebooks: NotebookCounts[] = [];
    for (const [notebook, keys] of await notebookRequests(redis, queueName)) {
      const c: NotebookCounts = { notebook, total: keys.length, waiting: 0, active: 0, done: 0, failed: 0, missing: 0 };
      for (const key of keys) {
        const state = await queue.getJobState(key);
        if (state === "completed" || opts.store?.has(key)) c.done++;
        else if (state === "active") c.active++;
        else if (state === "failed") c.failed++;
        else if (WAITING.has(state)) c.waiting++;
        else c.missing++;
      }
      notebooks.push(c);
    }
    const now = Date.now();
    const workers = (await aliveWorkers(redis, queueName)).map((w) => ({ ...w, ageSeconds: (now - w.at) / 1000 }));
    const failed = (await queue.getFailed(0, 49)).map((j) => ({ key: String(j.id), error: j.failedReason ?? "" }));
    return {
      url: redactUrl(url),
      queue: queueName,
      counts,
      notebooks,
      workers,
      failed,
      ...(opts.store ? { stored: (await opts.store.keys()).length } : {}),
    };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

export function statusText(s: QueueStatus): string {
  const c = s.counts;
  const jobs: Table = {
    columns: ["notebook", "runs", "waiting", "active", "done", "failed", "missing"],
    rows: [
      ...s.notebooks.map((n) => [n.notebook, n.total, n.waiting, n.active, n.done, n.failed, n.missing]),
      [
        "all jobs",
        Object.values(c).reduce((a, b) => a + b, 0),
        (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
        c.active ?? 0,
        c.completed ?? 0,
        c.failed ?? 0,
        null,
      ],
    ],
    caption: `queue ${s.queue} at ${s.url}${s.stored !== undefined ? `; ${s.stored} result(s) in the store` : ""}`,
  };
  const workers: Table = {
    columns: ["worker", "host", "pid", "concurrency", "threads/job", "training", "last seen"],
    rows: s.workers.map((w) => [
      w.name,
      w.host,
      w.pid,
      w.concurrency,
      w.threads,
      w.active.join(", "),
      `${w.ageSeconds.toFixed(0)} s ago`,
    ]),
    caption: `${s.workers.length} worker(s) alive`,
  };
  const parts = [tableToText(jobs), "", s.workers.length ? tableToText(workers) : workers.caption!];
  if (s.failed.length)
    parts.push(
      "",
      tableToText({
        columns: ["failed run", "error"],
        rows: s.failed.map((f) => [f.key, shortError(f.error, 100)]),
        caption: `${s.failed.length} failed job(s); \`peft-nb queue retry\` puts them back`,
      }),
    );
  return parts.join("\n");
}

/** Puts failed jobs back in the queue (all, or those a notebook asked for); returns their keys. */
export async function retryFailed(
  url: string,
  opts: { queueName?: string; notebook?: string } = {},
): Promise<string[]> {
  const queueName = queueNameFrom(opts.queueName);
  await checkReachable(url);
  const queue = new Queue(queueName, { connection: connectionOptions(url), prefix: KEY_PREFIX });
  const redis = redisClient(url);
  try {
    const only = opts.notebook ? new Set((await notebookRequests(redis, queueName)).get(opts.notebook) ?? []) : null;
    const retried: string[] = [];
    for (const job of await queue.getFailed(0, -1)) {
      if (only && !only.has(String(job.id))) continue;
      await job.retry("failed");
      retried.push(String(job.id));
    }
    return retried;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

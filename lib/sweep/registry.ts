// Beside BullMQ's own keys: which workers are alive (a heartbeat key per worker that expires when
// the worker stops refreshing it) and which runs each notebook asked for (a set per notebook), for
// `peft-nb queue status`.
import type { Redis } from "ioredis";
import { KEY_PREFIX } from "./queue-url.js";

export interface WorkerBeat {
  name: string;
  host: string;
  pid: number;
  concurrency: number;
  threads: number;
  /** Keys of the jobs it is training. */
  active: string[];
  startedAt: string;
  /** Date.now() of this heartbeat. */
  at: number;
}

const workerKey = (queue: string, name: string) => `${KEY_PREFIX}:${queue}:worker:${name}`;
const notebooksKey = (queue: string) => `${KEY_PREFIX}:${queue}:notebooks`;
const notebookKey = (queue: string, notebook: string) => `${KEY_PREFIX}:${queue}:notebook:${notebook}`;

export async function beat(redis: Redis, queue: string, b: WorkerBeat, ttlMs: number): Promise<void> {
  await redis.set(workerKey(queue, b.name), JSON.stringify(b), "PX", ttlMs);
}

export async function forgetWorker(redis: Redis, queue: string, name: string): Promise<void> {
  await redis.del(workerKey(queue, name));
}

export async function aliveWorkers(redis: Redis, queue: string): Promise<WorkerBeat[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", workerKey(queue, "*"), "COUNT", 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values
    .filter((v): v is string => v !== null)
    .map((v) => JSON.parse(v) as WorkerBeat)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function recordRequests(redis: Redis, queue: string, notebook: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await redis
    .multi()
    .sadd(notebooksKey(queue), notebook)
    .sadd(notebookKey(queue, notebook), ...keys)
    .exec();
}

export async function notebookRequests(redis: Redis, queue: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const nb of (await redis.smembers(notebooksKey(queue))).sort())
    out.set(nb, (await redis.smembers(notebookKey(queue, nb))).sort());
  return out;
}

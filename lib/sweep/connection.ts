// Connections to the queue's Redis: one set of options for BullMQ's and our own clients.
import type { RedisOptions as BullRedisOptions } from "bullmq";
import { Redis } from "ioredis";
import { redactUrl } from "./queue-url.js";

/**
 * Options for every connection: BullMQ's workers need `maxRetriesPerRequest: null` (commands wait for
 * a restarted Redis instead of failing), and a capped reconnect back-off keeps a sweep alive across
 * a Redis restart.
 */
export function connectionOptions(url: string): BullRedisOptions & { url: string } {
  return { url, ...clientOptions() };
}

function clientOptions() {
  return { maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(200 * times, 2000) };
}

/** A plain ioredis client on the queue URL (the registry of workers and notebooks). */
export function redisClient(url: string): Redis {
  return new Redis(url, clientOptions());
}

/**
 * Fails fast with a clear message when Redis cannot be reached or refuses the credentials: with
 * `maxRetriesPerRequest: null` a first command would otherwise wait for ever.
 */
export async function checkReachable(url: string, timeoutMs = 10_000): Promise<void> {
  let lastError = "";
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  client.on("error", (e: Error) => {
    lastError = e.message;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const why = lastError || (e as Error).message;
    throw new Error(
      `cannot use the queue at ${redactUrl(url)}: ${why}${/NOAUTH|WRONGPASS|auth/i.test(why) ? " (check the password in the URL)" : ""}`,
    );
  } finally {
    client.disconnect();
  }
}

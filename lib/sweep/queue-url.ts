// Where the queue lives: a Redis URL from an option or PEFT_QUEUE_URL, passed to BullMQ and ioredis
// as it is (connection.ts), so passwords (redis://user:pass@host), database numbers (/2) and TLS
// (rediss://, with NODE_EXTRA_CA_CERTS for a private CA) work without options of our own. Kept apart
// from the Redis client so that deciding "local or queue" loads no queue library.

/** The BullMQ queue every run job goes to; PEFT_QUEUE_NAME separates sweeps sharing one Redis. */
export const DEFAULT_QUEUE_NAME = "peft-runs";
/** Prefix of every key this project writes (BullMQ's and the registry's). */
export const KEY_PREFIX = "peft";

export interface QueueTarget {
  url: string;
  name: string;
}

/** The queue URL to use: the explicit one, else PEFT_QUEUE_URL, else null (run locally). */
export function queueUrlFrom(explicit?: string | null): string | null {
  const url = explicit ?? process.env.PEFT_QUEUE_URL;
  return url ? checkQueueUrl(url) : null;
}

export function queueNameFrom(explicit?: string | null): string {
  const name = explicit ?? process.env.PEFT_QUEUE_NAME ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new Error(`queue name: expected letters, digits, '.', '_' or '-', found ${JSON.stringify(name)}`);
  return name;
}

export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `queue URL: ${JSON.stringify(redactUrl(url))} is not a URL; expected redis://[user:password@]host:port[/db] or rediss://…`,
    );
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new Error(
      `queue URL: scheme ${u.protocol.replace(/:$/, "")} in ${redactUrl(url)}; expected redis:// or rediss:// (TLS)`,
    );
  if (!u.hostname) throw new Error(`queue URL: ${redactUrl(url)} names no host`);
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname))
    throw new Error(`queue URL: path ${u.pathname} in ${redactUrl(url)}; expected a database number such as /0`);
  return url;
}

/** The URL with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
  }
}

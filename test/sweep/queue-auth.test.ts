// Authentication and TLS on the queue URL pass through to Redis: a password-protected redis-server
// and one serving TLS with a private CA, each the test's own. Wrong or missing credentials, and an
// untrusted certificate, give a clear error that never shows the password.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueStatus } from "../../lib/sweep/queue-status.js";
import { BIN, ensureBuilt } from "../helpers/ensure-built.js";
import { type LocalRedis, startLocalRedis } from "../../lib/sweep/local-redis.js";
import { makeTlsFiles } from "../helpers/tls-files.js";
import { startWorkerProcess } from "./helpers/worker-process.js";

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("queue URLs with a password", () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis({ password: "pa ss:word" });
  });
  afterAll(() => redis?.stop());

  it("the right password is used; a wrong or missing one is a clear error without the secret", async () => {
    expect(redis.url).toContain(encodeURIComponent("pa ss:word"));
    const s = await queueStatus(redis.url);
    expect(s.url).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    expect(s.workers).toEqual([]);
    const wrong = `redis://:nope-secret@127.0.0.1:${redis.port}`;
    const err = await queueStatus(wrong).catch((e: Error) => e.message);
    expect(err).toMatch(
      /cannot use the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*(WRONGPASS|invalid).*check the password/,
    );
    expect(err).not.toContain("nope-secret");
    const none = await queueStatus(`redis://127.0.0.1:${redis.port}`).catch((e: Error) => e.message);
    expect(none).toMatch(/NOAUTH/);
  });
});

describe("queue URLs over TLS (rediss://)", () => {
  let redis: LocalRedis;
  let certs: string;
  let ca: string;
  beforeAll(async () => {
    await ensureBuilt();
    certs = mkdtempSync(join(tmpdir(), "peft-tls-"));
    const tls = makeTlsFiles(certs);
    ca = tls.ca;
    redis = await startLocalRedis({ tls, password: "tls-secret" });
  }, 300_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  it("a worker and `queue status` connect with the CA trusted through NODE_EXTRA_CA_CERTS; untrusted, a clear error", async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca };
    const store = join(certs, "store");
    const w = startWorkerProcess("tls1", ["--queue", redis.url, "--store", store, "--threads", "1"], env);
    try {
      await w.waitFor(/^worker tls1 on rediss:\/\/:\*\*\*@127\.0\.0\.1/);
      const status = cli(["queue", "status", "--queue", redis.url], env);
      expect(status.code, status.err).toBe(0);
      expect(status.out).toMatch(/1 worker\(s\) alive/);
      expect(status.out).toMatch(/tls1 .* 1 +1/);
      expect(status.out).not.toContain("tls-secret");
    } finally {
      w.proc.kill("SIGTERM");
      expect(await w.exited).toBe(0); // warm shutdown with nothing in flight
    }
    const untrusted = cli(["queue", "status", "--queue", redis.url]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(/cannot use the queue at rediss:\/\/:\*\*\*@.*(certificate|self.signed)/i);
  }, 120_000);
});

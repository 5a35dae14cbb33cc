// A private redis-server: started as the calling user (no root, no system service) on a free port,
// with its files in a temporary folder, optionally with a password or TLS, restartable on the same
// port. For tests and benchmarks, and for trying a sweep on one machine.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_SERVER = process.env.PEFT_REDIS_SERVER ?? "redis-server";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export interface LocalRedisOptions {
  password?: string;
  tls?: TlsFiles;
}

export interface LocalRedis {
  port: number;
  /** redis:// (or rediss:// with TLS) URL, with the password when there is one. */
  url: string;
  dir: string;
  /** Kills the server (SIGKILL: no save) and starts a fresh one on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function launch(port: number, dir: string, o: LocalRedisOptions): Promise<ChildProcess> {
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no"];
  if (o.tls)
    args.push("--port", "0", "--tls-port", String(port), "--tls-cert-file", o.tls.cert, "--tls-key-file", o.tls.key);
  else args.push("--port", String(port));
  if (o.tls) args.push("--tls-ca-cert-file", o.tls.ca, "--tls-auth-clients", "no");
  if (o.password) args.push("--requirepass", o.password);
  const p = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    p.once("error", (e) =>
      reject(new Error(`${REDIS_SERVER}: ${e.message} (bash scripts/system-deps.sh installs redis-server)`)),
    );
    let out = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve(p);
      }
    };
    p.stdout!.on("data", onData);
    p.stderr!.on("data", onData);
    p.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
}

export async function startLocalRedis(o: LocalRedisOptions = {}): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), "peft-redis-"));
  const port = await freePort();
  let proc = await launch(port, dir, o);
  const auth = o.password ? `:${encodeURIComponent(o.password)}@` : "";
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  };
  return {
    port,
    url: `${o.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    dir,
    async restart() {
      await kill();
      proc = await launch(port, dir, o);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

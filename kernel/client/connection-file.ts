// Connection files as jupyter_client writes them: loopback TCP, five free ports, a random key.
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionInfo } from "../wire/connection.js";

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error(`could not read a free port on ${host}`))));
    });
  });
}

/**
 * Asks the OS for `n` distinct free ports. Like jupyter_client this is racy (another process may
 * take a port before the kernel binds it); holding all servers open until every port is known at
 * least keeps the n ports distinct from each other.
 */
export async function freeLoopbackPorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort(host));
  return [...ports];
}

export async function newConnectionInfo(kernelName?: string): Promise<ConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = await freeLoopbackPorts(5);
  return {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    key: randomUUID(),
    signature_scheme: "hmac-sha256",
    ...(kernelName ? { kernel_name: kernelName } : {}),
  };
}

/** Writes `info` to `kernel-<uuid>.json` in `dir` (a fresh temp folder by default); returns the path. */
export function writeConnectionFile(info: ConnectionInfo, dir = mkdtempSync(join(tmpdir(), "peft-nb-conn-"))): string {
  const path = join(dir, `kernel-${randomUUID()}.json`);
  writeFileSync(path, JSON.stringify(info, null, 2), { mode: 0o600 });
  return path;
}

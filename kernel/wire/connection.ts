// The connection file a Jupyter client hands the kernel: where to bind and how to sign. One type
// for both sides: the kernel reads it (readConnectionFile), clients write it (kernel/client).
import { readFile } from "node:fs/promises";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export type Channel = "shell" | "control" | "stdin" | "iopub" | "hb";
export const CHANNELS: readonly Channel[] = ["shell", "control", "stdin", "iopub", "hb"];

/** Validates a parsed connection file, naming the file and the offending field. */
export function parseConnection(raw: unknown, file = "connection file"): ConnectionInfo {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const transport = o.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc")
    throw new Error(`${file}: transport must be "tcp" or "ipc", found ${JSON.stringify(transport)}`);
  if (typeof o.ip !== "string" || !o.ip)
    throw new Error(`${file}: ip must be a non-empty string, found ${JSON.stringify(o.ip)}`);
  for (const c of CHANNELS) {
    const port = o[`${c}_port`];
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`${file}: ${c}_port must be an integer port, found ${JSON.stringify(port)}`);
    }
  }
  const key = o.key ?? "";
  if (typeof key !== "string") throw new Error(`${file}: key must be a string, found ${typeof key}`);
  const scheme = o.signature_scheme ?? "hmac-sha256";
  if (typeof scheme !== "string") throw new Error(`${file}: signature_scheme must be a string`);
  return {
    transport,
    ip: o.ip,
    shell_port: o.shell_port as number,
    iopub_port: o.iopub_port as number,
    stdin_port: o.stdin_port as number,
    control_port: o.control_port as number,
    hb_port: o.hb_port as number,
    key,
    signature_scheme: scheme,
    ...(typeof o.kernel_name === "string" ? { kernel_name: o.kernel_name } : {}),
  };
}

export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read connection file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`connection file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConnection(raw, path);
}

export function endpoint(c: ConnectionInfo, channel: Channel): string {
  const port = c[`${channel}_port`];
  // For ipc, jupyter_client names the socket files <ip>-<port>.
  return c.transport === "tcp" ? `tcp://${c.ip}:${port}` : `ipc://${c.ip}-${port}`;
}

// Writes the kernelspec folder Jupyter discovers: kernel.json plus generated logos.
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { logoPng } from "./logo.js";

export const KERNEL_NAME = "peft-nb";
export const DISPLAY_NAME = "TypeScript (PEFT)";

export interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "message" | "signal";
  metadata: Record<string, unknown>;
  env?: Record<string, string>;
}

/** argv uses absolute paths so the kernel starts whatever PATH the client has. */
export function kernelJson(nodePath: string, binPath: string): KernelJson {
  return {
    argv: [nodePath, binPath, "kernel", "--connection-file", "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "message",
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data directory, as jupyter_core computes it. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

export function kernelsDir(target: { user: true } | { prefix: string }): string {
  return "prefix" in target ? join(target.prefix, "share", "jupyter", "kernels") : join(userDataDir(), "kernels");
}

/** Writes <kernelsDir>/peft-nb/{kernel.json, logo-32x32.png, logo-64x64.png}; returns the folder. */
export async function writeKernelspec(dir: string, spec: KernelJson): Promise<string> {
  const folder = join(dir, KERNEL_NAME);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "kernel.json"), `${JSON.stringify(spec, null, 2)}\n`);
  await writeFile(join(folder, "logo-32x32.png"), logoPng(32));
  await writeFile(join(folder, "logo-64x64.png"), logoPng(64));
  return folder;
}

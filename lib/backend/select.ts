// Picks the fastest tfjs backend available in this process. Optional pieces (the tfjs-node
// packages, the native addon built at install) are only ever loaded here, so the rest of the
// library runs (slower) where they are missing, and the report says what was skipped and why.
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { registerBroadcastingMatMulGrad } from "./matmul-grad.js";
import { loadAddon } from "./native/addon.js";
import { NATIVE, registerNativeBackend } from "./native/backend.js";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "native" | "wasm" | "cpu";

export interface BackendChoice {
  /** The tfjs backend now active (tfjs-node registers itself as "tensorflow"). */
  name: string;
  reason: string;
  /** Faster candidates that were tried first and why each was not used. */
  skipped: { name: string; why: string }[];
  /** Threads the backend computes with (the native backend; wasm and cpu use one). */
  threads?: number;
  /** What the backend runs on, e.g. the BLAS library and its kernels. */
  detail?: string;
}

export interface UseBackendOptions {
  /** Backend to force, by any name parseBackendName accepts, or "auto"; default env PEFT_BACKEND, else auto. */
  backend?: string;
  /**
   * Threads of the native backend (OpenBLAS and its own loops); default env PEFT_THREADS, else every core.
   * Set it when several runs share one machine, so that together they do not oversubscribe it.
   */
  threads?: number;
}

/** Fastest first. Aliases let users write the package name or the backend name. */
const ORDER: BackendName[] = ["tensorflow-gpu", "tensorflow", "native", "wasm", "cpu"];
const ALIASES: Record<string, BackendName> = {
  "tensorflow-gpu": "tensorflow-gpu",
  "tfjs-node-gpu": "tensorflow-gpu",
  gpu: "tensorflow-gpu",
  tensorflow: "tensorflow",
  "tfjs-node": "tensorflow",
  node: "tensorflow",
  native: "native",
  openblas: "native",
  wasm: "wasm",
  cpu: "cpu",
};

export function parseBackendName(raw: string): BackendName {
  const name = ALIASES[raw.trim().toLowerCase()];
  if (!name) {
    throw new Error(`unknown backend '${raw}': expected one of ${Object.keys(ALIASES).join(", ")}, or auto`);
  }
  return name;
}

/** The thread count from the option, else PEFT_THREADS, else every core; a bad value names its source. */
export function resolveThreads(option?: number): number {
  const [raw, source] = option !== undefined ? [String(option), "threads"] : [process.env.PEFT_THREADS, "PEFT_THREADS"];
  if (raw === undefined || raw.trim() === "") return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${source}: expected a whole number >= 1, found '${raw}'`);
  return n;
}

// A string specifier keeps TypeScript from resolving packages that are not installed.
async function importOptional(pkg: string): Promise<void> {
  await import(pkg);
}

let wasmPathsSet = false;

async function loadWasm(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (!wasmPathsSet) {
    // In Node the .wasm binaries must be found on disk next to the package's entry.
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(join(dist, "/").replace(/\\/g, "/"));
    wasmPathsSet = true;
  }
}

interface Activated {
  threads?: number;
  detail?: string;
}

/** The native backend on top of an initialised wasm backend (whose instance and heap it shares). */
async function activateNative(threadOption?: number): Promise<Activated> {
  const { addon, core } = loadAddon();
  const threads = resolveThreads(threadOption);
  addon.setThreads(threads);
  await loadWasm();
  if (!tf.engine().registry.wasm && !(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not start");
  registerNativeBackend(addon);
  if (!(await tf.setBackend(NATIVE))) throw new Error(`tf.setBackend('${NATIVE}') returned false`);
  const info = addon.info();
  return {
    threads,
    detail: `${info.blasConfig.split(" ").slice(0, 2).join(" ")} with ${info.blasCore} kernels (${core})`,
  };
}

/** Loads and activates one backend; throws with a short reason when it cannot. */
async function activate(name: BackendName, threads?: number): Promise<Activated> {
  switch (name) {
    case "native":
      return activateNative(threads);
    case "tensorflow-gpu":
      await importOptional("@tensorflow/tfjs-node-gpu");
      break;
    case "tensorflow":
      await importOptional("@tensorflow/tfjs-node");
      break;
    case "wasm":
      await loadWasm();
      break;
    case "cpu":
      await import("@tensorflow/tfjs-backend-cpu");
      break;
  }
  const tfName = name === "tensorflow-gpu" ? "tensorflow" : name;
  if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') returned false`);
  await tf.ready();
  return {};
}

function shortError(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  if (/Cannot find (package|module)/.test(msg)) return "package not installed";
  return msg.split("\n")[0] ?? msg;
}

function choice(reason: string, skipped: BackendChoice["skipped"], a: Activated): BackendChoice {
  return { name: tf.getBackend(), reason, skipped, ...a };
}

/**
 * Activates a backend: a name (or `options.backend`, or env PEFT_BACKEND) forces one and fails
 * loudly if it cannot start; otherwise the fastest that starts wins: tensorflow-gpu, tensorflow,
 * native (OpenBLAS, built at install), wasm, cpu.
 */
export async function useBackend(preferred?: string | UseBackendOptions): Promise<BackendChoice> {
  const opts: UseBackendOptions = typeof preferred === "string" ? { backend: preferred } : (preferred ?? {});
  resolveThreads(opts.threads); // a bad setting fails here, whichever backend wins
  registerBroadcastingMatMulGrad();
  const forcedRaw = opts.backend ?? process.env.PEFT_BACKEND;
  if (forcedRaw && forcedRaw.trim() !== "" && forcedRaw.trim().toLowerCase() !== "auto") {
    const forced = parseBackendName(forcedRaw);
    let a: Activated;
    try {
      a = await activate(forced, opts.threads);
    } catch (err) {
      throw new Error(`backend '${forced}' was requested but could not start: ${shortError(err)}`);
    }
    const via = opts.backend !== undefined ? "argument" : "PEFT_BACKEND";
    return choice(`forced by ${via}=${forcedRaw}`, [], a);
  }
  const skipped: { name: string; why: string }[] = [];
  for (const name of ORDER) {
    try {
      const a = await activate(name, opts.threads);
      return choice(skipped.length ? `fastest available (${name})` : `fastest backend (${name})`, skipped, a);
    } catch (err) {
      skipped.push({ name, why: shortError(err) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}

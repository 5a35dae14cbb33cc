// Picks the fastest tfjs backend available in this process. Native bindings are optional
// packages: they are only ever loaded here, through a dynamic import, so the rest of the
// library runs (slower) where they are not installed.
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { loadAddon } from "./native/addon.js";
import { NATIVE, registerNativeBackend } from "./native/backend.js";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "native" | "wasm" | "cpu";

export interface BackendChoice {
  /** The tfjs backend now active (tfjs-node registers itself as "tensorflow"). */
  name: string;
  reason: string;
  /** Faster candidates that were tried first and why each was not used. */
  skipped: { name: string; why: string }[];
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
    throw new Error(`unknown backend '${raw}': expected one of ${Object.keys(ALIASES).join(", ")}`);
  }
  return name;
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

function threadCount(): number {
  const raw = process.env.PEFT_THREADS;
  if (raw === undefined || raw.trim() === "") return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PEFT_THREADS: expected a whole number >= 1, found '${raw}'`);
  return n;
}

/** Loads and activates one backend; throws with a short reason when it cannot. */
async function activate(name: BackendName): Promise<void> {
  switch (name) {
    case "native": {
      const { addon } = loadAddon();
      addon.setThreads(threadCount());
      await loadWasm();
      if (!tf.engine().registry.wasm && !(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not start");
      registerNativeBackend(addon);
      if (!(await tf.setBackend(NATIVE))) throw new Error(`tf.setBackend('${NATIVE}') returned false`);
      await tf.ready();
      return;
    }
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
}

function shortError(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  if (/Cannot find (package|module)/.test(msg)) return "package not installed";
  return msg.split("\n")[0] ?? msg;
}

/**
 * Activates a backend: `preferred` (or env PEFT_BACKEND) forces one and fails loudly if it
 * cannot start; otherwise the fastest that starts wins.
 */
export async function useBackend(preferred?: string): Promise<BackendChoice> {
  const forcedRaw = preferred ?? process.env.PEFT_BACKEND;
  if (forcedRaw && forcedRaw.trim() !== "" && forcedRaw.trim().toLowerCase() !== "auto") {
    const forced = parseBackendName(forcedRaw);
    try {
      await activate(forced);
    } catch (err) {
      throw new Error(`backend '${forced}' was requested but could not start: ${shortError(err)}`);
    }
    const via = preferred !== undefined ? "argument" : "PEFT_BACKEND";
    return { name: tf.getBackend(), reason: `forced by ${via}=${forcedRaw}`, skipped: [] };
  }
  const skipped: { name: string; why: string }[] = [];
  for (const name of ORDER) {
    try {
      await activate(name);
      return {
        name: tf.getBackend(),
        reason: skipped.length ? `fastest available (${name})` : `fastest backend (${name})`,
        skipped,
      };
    } catch (err) {
      skipped.push({ name, why: shortError(err) });
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}

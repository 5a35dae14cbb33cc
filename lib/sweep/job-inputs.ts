// A job names its inputs as the notebook's machine sees them; a worker on another machine finds
// the same base model and data under its own paths.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { RunMethodOptions } from "../experiments/run-method.js";
import type { DirectoryResultStore } from "./result-store.js";

/** The base model folder on this machine: the notebook's path, then <modelsDir>/<name>, then the store's copy. */
export function resolveBaseDir(
  o: RunMethodOptions,
  baseName: string,
  store: DirectoryResultStore,
  modelsDir?: string,
): string {
  const candidates = [o.baseDir, ...(modelsDir ? [join(modelsDir, baseName)] : []), store.baseDir(baseName)];
  for (const c of candidates) if (basename(c) === baseName && existsSync(join(c, "config.json"))) return c;
  throw new Error(
    `base model '${baseName}' is not on this machine; looked in ${candidates.join(", ")}. Mount it at the notebook's path, pass --models DIR holding a folder of that name, or let the notebook publish it to the store`,
  );
}

/**
 * The job's options with this machine's base model folder, and its data folder: the job's when it
 * exists here, else `dataDir` (the worker's --data), else this machine's default (PEFT_DATA_DIR or
 * ../shared/data).
 */
export function localInputs(
  o: RunMethodOptions,
  baseName: string,
  store: DirectoryResultStore,
  where: { modelsDir?: string; dataDir?: string },
): RunMethodOptions {
  const out: RunMethodOptions = { ...o, baseDir: resolveBaseDir(o, baseName, store, where.modelsDir) };
  if (out.dataDir && existsSync(out.dataDir)) return out;
  if (where.dataDir) out.dataDir = where.dataDir;
  else delete out.dataDir;
  return out;
}

// Fine-tuning runs shared between reproduction notebooks: the main table trains them, the
// convergence, gradient-norm and resource notebooks read the same runs back instead of training
// again. A run is cached as JSON under a key that hashes everything that changes its result
// (run-key.ts). With `adapters`, the tuned adapter's PEFT files are kept beside the result.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "../data/paths.js";
import { runMethod, type RunMethodOptions, type RunResult } from "../experiments/run-method.js";
import { runKey } from "./run-key.js";

export { RUN_CACHE_VERSION, runKey } from "./run-key.js";

/** PEFT_RUN_CACHE when set, else `runs` under the cache root (PEFT_CACHE_DIR, else `<project>/.cache`). */
export function defaultRunCacheDir(): string {
  const env = process.env.PEFT_RUN_CACHE;
  return env ? env : join(cacheRoot(), "runs");
}

export interface CachedRunOptions {
  /** null turns the cache off (every run trains). Default defaultRunCacheDir(). */
  cacheDir?: string | null;
  /** Told whether a run was trained or read back. */
  log?(message: string): void;
  /**
   * Also keep each trained run's tuned adapter (full fine-tuning: its model) in PEFT-format files
   * beside its result, `<key>.adapter/`; a cached result without them trains again (same seed,
   * same adapter). Local runs only: with a queue, the sweep's result store keeps each adapter (not full fine-tuning's model).
   */
  adapters?: boolean;
}

/** A run's result, whether it came from the cache, and where its tuned adapter files are (with `adapters`). */
export type CachedRunResult = RunResult & { cached: boolean; adapterDir?: string };

/** Where a run's result and adapter files live in the cache (file null: caching is off). */
function cachePaths(
  o: RunMethodOptions,
  opts: CachedRunOptions,
  key: string,
): { dir: string | null; file: string | null; adapterDir?: string } {
  const dir = opts.cacheDir === undefined ? defaultRunCacheDir() : opts.cacheDir;
  // "base" trains nothing, so it has no adapter to keep.
  const adapterDir = dir && opts.adapters && o.method !== "base" ? join(dir, `${key}.adapter`) : undefined;
  return { dir, file: dir ? join(dir, `${key}.json`) : null, ...(adapterDir ? { adapterDir } : {}) };
}

/**
 * The cached result of a run (with its adapter files, when asked for), or null when it must train.
 * `key` is runKey(o), for a caller that has it already (the key hashes the base model and data files).
 */
export function readCachedRun(
  o: RunMethodOptions,
  opts: CachedRunOptions = {},
  key = runKey(o),
): CachedRunResult | null {
  const { file, adapterDir } = cachePaths(o, opts, key);
  if (!file || !existsSync(file) || (adapterDir && !existsSync(adapterDir))) return null;
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as RunResult;
    return { ...r, cached: true, ...(adapterDir ? { adapterDir } : {}) };
  } catch {
    return null; // a truncated file from a crash: train again and overwrite it
  }
}

export async function cachedRun(o: RunMethodOptions, opts: CachedRunOptions = {}): Promise<CachedRunResult> {
  const key = runKey(o);
  const { dir, file, adapterDir } = cachePaths(o, opts, key);
  const where = adapterDir ? { adapterDir } : {};
  const hit = readCachedRun(o, opts, key);
  if (hit) {
    opts.log?.(`${key}: read from cache`);
    return hit;
  }
  const t0 = performance.now();
  // Adapter files go to a temporary folder renamed into place, so a crash never leaves half a folder under the key.
  const tmpAdapter = adapterDir ? `${adapterDir}.tmp-${process.pid}` : undefined;
  const r = await runMethod(o, tmpAdapter ? { saveTo: tmpAdapter } : {});
  opts.log?.(`${key}: trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (file && dir) {
    mkdirSync(dir, { recursive: true });
    if (adapterDir && tmpAdapter) {
      rmSync(adapterDir, { recursive: true, force: true });
      renameSync(tmpAdapter, adapterDir);
    }
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);
  }
  return { ...r, cached: false, ...where };
}

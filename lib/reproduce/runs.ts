// Fine-tuning runs shared between reproduction notebooks: the main table trains them, the
// convergence, gradient-norm and resource notebooks read the same runs back instead of training
// again. A run is cached as JSON under a key that hashes everything that changes its result
// (run-key.ts).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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
}

export async function cachedRun(
  o: RunMethodOptions,
  opts: CachedRunOptions = {},
): Promise<RunResult & { cached: boolean }> {
  const dir = opts.cacheDir === undefined ? defaultRunCacheDir() : opts.cacheDir;
  const key = runKey(o);
  const file = dir ? join(dir, `${key}.json`) : null;
  if (file && existsSync(file)) {
    try {
      const r = JSON.parse(readFileSync(file, "utf8")) as RunResult;
      opts.log?.(`${key}: read from cache`);
      return { ...r, cached: true };
    } catch {
      // a truncated file from a crash: train again and overwrite it
    }
  }
  const t0 = performance.now();
  const r = await runMethod(o);
  opts.log?.(`${key}: trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (file && dir) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);
  }
  return { ...r, cached: false };
}

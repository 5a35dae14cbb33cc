// Fine-tuning runs shared between reproduction notebooks: the main table trains them, the
// convergence, gradient-norm and resource notebooks read the same runs back instead of training
// again. A run is cached as JSON under a key that hashes everything that changes its result.
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { projectRoot } from "../project-root.js";
import { runMethod, type RunMethodOptions, type RunResult } from "../experiments/run-method.js";

/** Bumped when runMethod's results change for the same options. */
export const RUN_CACHE_VERSION = 1;

/** PEFT_RUN_CACHE when set (tests point it at a temporary folder), else `<project>/.cache/runs`. */
export function defaultRunCacheDir(): string {
  const env = process.env.PEFT_RUN_CACHE;
  return env ? env : join(projectRoot(), ".cache", "runs");
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v instanceof RegExp) return JSON.stringify(v.toString());
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The cache key: method, task, seed and a hash of the options, base model and backend. */
export function runKey(o: RunMethodOptions): string {
  const { progress: _progress, baseDir, ...rest } = o;
  const hash = createHash("sha256")
    .update(canonical({ ...rest, base: basename(baseDir), backend: tf.getBackend(), version: RUN_CACHE_VERSION }))
    .digest("hex")
    .slice(0, 16);
  return `${o.method}-${o.task}-s${o.seed ?? 0}-${hash}`;
}

export interface CachedRunOptions {
  /** null turns the cache off (every run trains). Default `<project>/.cache/runs`. */
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

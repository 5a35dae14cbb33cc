// The base model of a scale. At small (seed 0) it is the folder shipped in the repository,
// checked against its record. Otherwise it is built once per (recipe, seed, backend) under
// <project>/.cache/base-models/<key>, then reused; built in a temporary folder and renamed into
// place, so concurrent callers (parallel test workers, notebooks) never see half a model.
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "../data/paths.js";
import { pretrainBaseModel, PRETRAIN_REPORT_FILE, type PretrainReport } from "./pretrain.js";
import { recipeFor, recipeKey, type PretrainScale } from "./recipes.js";
import { shippedBaseDir, verifyShipped } from "./shipped.js";

export interface EnsureBaseModelOptions {
  scale: PretrainScale;
  /** Seed of the model init and data order (default 0). */
  seed?: number;
  /** Default defaultCacheDir(): `<PEFT_CACHE_DIR or project/.cache>/base-models`. */
  cacheDir?: string;
  /** Progress bar while pre-training (default false). */
  progress?: boolean;
  /** GLUE data directory for the domain-adaptive text (default lib/data's dataDir()). */
  dataDir?: string;
  /** Told when a model is built rather than found in the cache. */
  log?: (message: string) => void;
  /**
   * Use the shipped folder where the scale has one and the seed is 0 (default true); false builds
   * from the recipe into the cache on the active backend (tens of minutes at small).
   */
  shipped?: boolean;
}

/** `base-models` under the cache root (PEFT_CACHE_DIR, else `<project>/.cache`). */
export function defaultCacheDir(): string {
  return join(cacheRoot(), "base-models");
}

/** The folder `ensureBaseModel` uses for these options on the active backend (built or not). */
export function baseModelDir(options: EnsureBaseModelOptions): string {
  const seed = checkSeed(options.seed ?? 0);
  const recipe = recipeFor(options.scale);
  const shipped = shippedBaseDir(recipe.scale);
  if (shipped && seed === 0 && (options.shipped ?? true)) return shipped;
  return join(options.cacheDir ?? defaultCacheDir(), recipeKey(recipe, seed, tf.getBackend()));
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`ensureBaseModel: seed must be an integer in [0, 2^32), found ${seed}`);
  return seed;
}

/**
 * Path of a Hugging Face folder (config.json, model.safetensors, tokenizer.json, pretrain.json)
 * holding the project's own pre-trained base model: the shipped one at small (seed 0), else
 * pre-trained on the active tfjs backend when the cache lacks it. Same seed and backend give
 * the same bytes.
 */
export async function ensureBaseModel(options: EnsureBaseModelOptions): Promise<string> {
  const seed = checkSeed(options.seed ?? 0);
  const recipe = recipeFor(options.scale);
  const shipped = shippedBaseDir(recipe.scale);
  if (shipped && seed === 0 && (options.shipped ?? true)) {
    await verifyShipped(shipped);
    return shipped;
  }
  const key = recipeKey(recipe, seed, tf.getBackend());
  const root = options.cacheDir ?? defaultCacheDir();
  const dir = join(root, key);
  if (existsSync(join(dir, PRETRAIN_REPORT_FILE))) return dir;
  await mkdir(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    options.log?.(`pre-training the ${recipe.scale} base model (seed ${seed}, ${tf.getBackend()}) into ${dir}`);
    const r = await pretrainBaseModel(tmp, recipe, seed, {
      key,
      progress: options.progress ?? false,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    options.log?.(
      `held-out perplexity ${r.perplexityBefore.toFixed(1)} -> ${r.perplexityAfter.toFixed(1)} after ${recipe.train.steps} steps (${r.totalSeconds.toFixed(1)} s)`,
    );
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished first: its model is the same bytes, keep it.
      if (!existsSync(join(dir, PRETRAIN_REPORT_FILE))) throw err;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** The pre-training report stored beside a base model. */
export async function readPretrainReport(dir: string): Promise<PretrainReport> {
  const file = join(dir, PRETRAIN_REPORT_FILE);
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch {
    throw new Error(`${file}: not found (is ${dir} a base model made by ensureBaseModel?)`);
  }
  try {
    return JSON.parse(raw) as PretrainReport;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

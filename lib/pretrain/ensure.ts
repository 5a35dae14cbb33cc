// The cached base model: built once per (recipe, seed, backend) under
// <project>/.cache/base-models/<key>, then reused. Built in a temporary folder and renamed into
// place, so concurrent callers (parallel test workers, notebooks) never see half a model.
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "../project-root.js";
import { pretrainBaseModel, PRETRAIN_REPORT_FILE, type PretrainReport } from "./pretrain.js";
import { recipeFor, recipeKey, type PretrainScale } from "./recipes.js";

export interface EnsureBaseModelOptions {
  scale: PretrainScale;
  /** Seed of the model init and data order (default 0). */
  seed?: number;
  /** Default `<project root>/.cache/base-models`. */
  cacheDir?: string;
  /** Progress bar while pre-training (default false). */
  progress?: boolean;
  /** GLUE data directory for the domain-adaptive text (default lib/data's dataDir()). */
  dataDir?: string;
  /** Told when a model is built rather than found in the cache. */
  log?: (message: string) => void;
}

export function defaultCacheDir(): string {
  return join(projectRoot(), ".cache", "base-models");
}

/** The folder `ensureBaseModel` uses for these options on the active backend (built or not). */
export function baseModelDir(options: EnsureBaseModelOptions): string {
  const seed = checkSeed(options.seed ?? 0);
  return join(options.cacheDir ?? defaultCacheDir(), recipeKey(recipeFor(options.scale), seed, tf.getBackend()));
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`ensureBaseModel: seed must be an integer in [0, 2^32), found ${seed}`);
  return seed;
}

/**
 * Path of a Hugging Face folder (config.json, model.safetensors, tokenizer.json, pretrain.json)
 * holding the project's own pre-trained base model; pre-trains it on the active tfjs backend
 * when the cache lacks it. Same seed and backend give the same bytes.
 */
export async function ensureBaseModel(options: EnsureBaseModelOptions): Promise<string> {
  const seed = checkSeed(options.seed ?? 0);
  const recipe = recipeFor(options.scale);
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

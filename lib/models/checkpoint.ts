// Loading and saving whole models: Hugging Face folders (single-file or sharded safetensors)
// and llama2.c .bin checkpoints in, Hugging Face folders out.
import { stat } from "node:fs/promises";
import { CheckpointError } from "../io/errors.js";
import { CONFIG_FILE, readHfFolder, writeHfFolder } from "../io/hf-folder.js";
import { readLlama2c } from "../io/llama2c.js";
import { join } from "node:path";
import { parseConfig, toHfConfig } from "./config.js";
import { modelFromTensors } from "./create.js";
import type { TransformerModel } from "./model.js";

export interface LoadedModel {
  model: TransformerModel;
  /** tokenizer.json next to the weights, when the folder has one. */
  tokenizerPath?: string;
}

/** Loads a Hugging Face model folder or a llama2.c `.bin` file. */
export async function loadModel(path: string): Promise<TransformerModel> {
  return (await loadModelWithTokenizer(path)).model;
}

export async function loadModelWithTokenizer(path: string): Promise<LoadedModel> {
  const st = await stat(path).catch(() => undefined);
  if (!st)
    throw new CheckpointError(path, "model not found (expected a Hugging Face model folder or a llama2.c .bin file)");
  if (st.isFile()) {
    if (!path.endsWith(".bin"))
      throw new CheckpointError(
        path,
        "a model file must be a llama2.c .bin checkpoint; pass the folder for Hugging Face models",
      );
    const ckpt = await readLlama2c(path);
    return { model: modelFromTensors(parseConfig(ckpt.config, path), ckpt.tensors, path) };
  }
  const folder = await readHfFolder(path);
  const config = parseConfig(folder.config, join(path, CONFIG_FILE));
  const model = modelFromTensors(config, folder.tensors, join(path, folder.weightFiles.join(", ")));
  return { model, ...(folder.tokenizerPath ? { tokenizerPath: folder.tokenizerPath } : {}) };
}

export interface SaveOptions {
  /** Shard the weights into files of at most this many bytes (model.safetensors.index.json). */
  maxShardBytes?: number;
}

/** Writes config.json + safetensors in Hugging Face naming and layout; returns the weight files. */
export async function saveModel(model: TransformerModel, dir: string, options: SaveOptions = {}): Promise<string[]> {
  return writeHfFolder(
    dir,
    toHfConfig(model.config),
    model.checkpointTensors(),
    options.maxShardBytes ? { maxShardBytes: options.maxShardBytes } : {},
  );
}

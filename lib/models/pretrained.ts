// Whole models in and out, as Hugging Face's from_pretrained / save_pretrained: a Hugging Face
// folder (single-file or sharded safetensors) or a llama2.c .bin checkpoint in (read by
// lib/io/model-checkpoint.ts), a Hugging Face folder out.
import { writeHfFolder } from "../io/hf-folder.js";
import { readModelCheckpoint } from "../io/model-checkpoint.js";
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
  const ckpt = await readModelCheckpoint(path, "model");
  const model = modelFromTensors(parseConfig(ckpt.config, ckpt.configSource), ckpt.tensors, ckpt.weightsSource);
  return { model, ...(ckpt.tokenizerPath ? { tokenizerPath: ckpt.tokenizerPath } : {}) };
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

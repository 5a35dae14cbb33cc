// Reading a model checkpoint (weights and config; not a training checkpoint, lib/train, nor an
// adapter folder, lib/adapters): "--model PATH" is a Hugging Face folder or a llama2.c .bin file,
// both returned in Hugging Face naming and config so lib/models handles a single convention.
// The one dispatch on the kind of path; lib/models/pretrained.ts builds models from it.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "./errors.js";
import { CONFIG_FILE, type HfConfig, readHfFolder } from "./hf-folder.js";
import { readLlama2c } from "./llama2c.js";
import type { HostTensor } from "./safetensors.js";

export interface LoadedCheckpoint {
  /** HF config.json object (model_type checked to be supported). */
  config: HfConfig;
  tensors: Map<string, HostTensor>;
  tokenizerPath?: string;
  format: "hf-folder" | "llama2c";
  /** What to name in later errors (e.g. checkTensors): the folder or the .bin file. */
  source: string;
  /** Where the config came from (config.json, or the .bin file's header), for config errors. */
  configSource: string;
  /** Where the weights came from (the safetensors files, or the .bin file), for weight errors. */
  weightsSource: string;
}

/**
 * Reads the checkpoint at `path`. `what` names the path in errors ("checkpoint" by default,
 * "model" for loadModel).
 */
export async function readModelCheckpoint(path: string, what = "checkpoint"): Promise<LoadedCheckpoint> {
  const st = await stat(path).catch(() => undefined);
  if (!st)
    throw new CheckpointError(path, `${what} not found (expected a Hugging Face model folder or a llama2.c .bin file)`);
  if (st.isDirectory()) {
    const f = await readHfFolder(path);
    const tokenizer = f.tokenizerPath ? { tokenizerPath: f.tokenizerPath } : {};
    const sources = { configSource: join(path, CONFIG_FILE), weightsSource: join(path, f.weightFiles.join(", ")) };
    return { config: f.config, tensors: f.tensors, format: "hf-folder", source: path, ...sources, ...tokenizer };
  }
  if (path.endsWith(".bin")) {
    const c = await readLlama2c(path);
    return {
      config: c.config,
      tensors: c.tensors,
      format: "llama2c",
      source: path,
      configSource: path,
      weightsSource: path,
    };
  }
  throw new CheckpointError(
    path,
    "unrecognised checkpoint: a model file must be a llama2.c .bin checkpoint; pass the folder for Hugging Face models",
  );
}

/** @deprecated The same as readModelCheckpoint (the name did not say which checkpoint). */
export const loadCheckpoint = readModelCheckpoint;

// One entry point for "--model PATH": a Hugging Face folder or a llama2.c .bin file, both
// returned in Hugging Face naming and config so lib/models handles a single convention.
import { stat } from "node:fs/promises";
import { CheckpointError } from "./errors.js";
import { type HfConfig, readHfFolder } from "./hf-folder.js";
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
}

export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const st = await stat(path).catch(() => undefined);
  if (!st)
    throw new CheckpointError(
      path,
      "checkpoint not found (expected a Hugging Face model folder or a llama2.c .bin file)",
    );
  if (st.isDirectory()) {
    const f = await readHfFolder(path);
    return {
      config: f.config,
      tensors: f.tensors,
      format: "hf-folder",
      source: path,
      ...(f.tokenizerPath ? { tokenizerPath: f.tokenizerPath } : {}),
    };
  }
  if (path.endsWith(".bin")) {
    const c = await readLlama2c(path);
    return { config: c.config, tensors: c.tensors, format: "llama2c", source: path };
  }
  throw new CheckpointError(
    path,
    "unrecognised checkpoint: expected a Hugging Face model folder or a llama2.c .bin file",
  );
}

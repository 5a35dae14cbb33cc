// Builds a model of the config's family, randomly initialised or from checkpoint tensors.
import { checkTensors } from "../io/hf-folder.js";
import type { HostTensor } from "../io/safetensors.js";
import type { ModelConfig } from "./config.js";
import { Gpt2Model, gpt2Specs } from "./gpt2.js";
import { LlamaModel, llamaSpecs } from "./llama.js";
import type { CreateOptions, ParamSpec, TransformerModel } from "./model.js";

export function parameterSpecs(config: ModelConfig): ParamSpec[] {
  return config.family === "llama" ? llamaSpecs(config) : gpt2Specs(config);
}

/** A randomly initialised model; the same config and seed give the same weights everywhere. */
export function createModel(config: ModelConfig, options: CreateOptions = {}): TransformerModel {
  return config.family === "llama" ? new LlamaModel(config, null, options) : new Gpt2Model(config, null, options);
}

/**
 * A model from checkpoint tensors in Hugging Face naming and layout. GPT-2 checkpoints without
 * the "transformer." prefix (as the original hub upload) are accepted. Missing or misshapen
 * tensors raise a CheckpointError naming each (expected vs found shape).
 */
export function modelFromTensors(
  config: ModelConfig,
  tensors: Map<string, HostTensor>,
  file: string,
): TransformerModel {
  const specs = parameterSpecs(config);
  let named = tensors;
  if (config.family === "gpt2" && !tensors.has("transformer.wte.weight") && tensors.has("wte.weight")) {
    named = new Map(
      [...tensors].map(([k, v]) => [k.startsWith("score.") || k.startsWith("lm_head.") ? k : `transformer.${k}`, v]),
    );
  }
  const expected = new Map(
    specs.map((s) => [s.name, s.conv1d ? [s.shape[1] as number, s.shape[0] as number] : s.shape]),
  );
  // Unexpected names (buffers such as rotary inv_freq, a tied lm_head saved anyway) are ignored.
  checkTensors(named, expected, file);
  const values = new Map<string, Float32Array>();
  for (const s of specs) {
    const t = named.get(s.name) as HostTensor;
    values.set(s.name, s.conv1d ? transpose(t.data, t.shape[0] as number, t.shape[1] as number) : t.data);
  }
  return config.family === "llama" ? new LlamaModel(config, values) : new Gpt2Model(config, values);
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

/** A tensor of `model` named `name` in checkpoint layout (GPT-2 Conv1D weights transposed). */
export function transposeIfConv1d(
  model: TransformerModel,
  name: string,
  t: { dataSync(): ArrayLike<number> | Uint8Array[]; shape: number[] },
): Float32Array {
  const spec = model.parameterSpecs().find((s) => s.name === name);
  const data = Float32Array.from(t.dataSync() as ArrayLike<number>);
  return spec?.conv1d ? transpose(data, t.shape[0] as number, t.shape[1] as number) : data;
}

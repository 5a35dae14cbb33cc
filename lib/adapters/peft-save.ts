// Adapter files: adapter_model.safetensors + adapter_config.json in Hugging Face PEFT's layout.
// LoRA and BOFT (and LoRA-GA, exported as a plain rank-2r LoRA against the original base) use
// PEFT's keys and config fields, so PEFT loads them. uRNN ("URNN") and the hybrid
// ("HYBRID_BOFT_LORAGA") use the same key scheme with our own suffixes; docs/methods.md
// describes them. Each method's fields come from its descriptor; peft-load.ts reads them back.
// Modules trained whole beside the adapter (a classification head) go in as PEFT's modules_to_save.
import type * as tf from "@tensorflow/tfjs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type TensorToWrite, writeSafetensors } from "../io/safetensors.js";
import type { Linear } from "../nn/linear.js";
import type { AnyAdapterMethod } from "./method.js";
import type { LayerAdapter } from "./types.js";

/** What the writer needs of an Attachment (attach.ts saves itself through this module). */
export interface SavableAdapter {
  readonly descriptor: AnyAdapterMethod;
  readonly config: unknown;
  readonly seed: number;
  readonly targets: string[];
  readonly layers: ReadonlyMap<string, { linear: Linear; layer: LayerAdapter }>;
}

export const WEIGHTS_FILE = "adapter_model.safetensors";
export const CONFIG_FILE = "adapter_config.json";
/** Every tensor key starts with PEFT's wrapper path. */
export const PREFIX = "base_model.model.";

/**
 * Whole modules trained beside the adapter (a new classification head), as PEFT's
 * `modules_to_save`: tensor name (`score.weight`) to value, written under PREFIX with the module
 * (`score`) listed in the config.
 */
export type ModulesToSave = ReadonlyMap<string, tf.Tensor>;

/** `score.weight` -> `score`. */
export function moduleOfTensor(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0)
    throw new Error(`modules_to_save: tensor name '${name}' has no module path (expected <module>.<param>)`);
  return name.slice(0, dot);
}

function configFor(att: SavableAdapter, modulesToSave?: ModulesToSave): Record<string, unknown> {
  const conv1d = [...att.layers.values()].some(({ linear }) => linear.layout === "conv1d");
  return {
    peft_type: att.descriptor.peftType,
    target_modules: att.targets,
    bias: "none",
    fan_in_fan_out: conv1d,
    modules_to_save: modulesToSave?.size ? [...new Set([...modulesToSave.keys()].map(moduleOfTensor))] : null,
    base_model_name_or_path: null,
    revision: null,
    task_type: null,
    inference_mode: true,
    layers_to_transform: null,
    layers_pattern: null,
    ...att.descriptor.peftConfig(att.config, att.seed),
  };
}

export async function saveAdapter(att: SavableAdapter, dir: string, modulesToSave?: ModulesToSave): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, { layer }] of att.layers) {
    for (const [suffix, t] of layer.state()) {
      tensors.set(`${PREFIX}${name}.${suffix}`, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
      t.dispose();
    }
  }
  for (const [name, t] of modulesToSave ?? []) {
    moduleOfTensor(name);
    tensors.set(`${PREFIX}${name}`, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
  }
  await writeSafetensors(join(dir, WEIGHTS_FILE), tensors, {
    format: "pt",
    peft_nb_method: att.descriptor.name,
  });
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(configFor(att, modulesToSave), null, 2)}\n`);
}

// Adapter files: adapter_model.safetensors + adapter_config.json in Hugging Face PEFT's layout.
// LoRA and BOFT (and LoRA-GA, exported as a plain rank-2r LoRA against the original base) use
// PEFT's keys and config fields, so PEFT loads them. uRNN ("URNN") and the hybrid
// ("HYBRID_BOFT_LORAGA") use the same key scheme with our own suffixes; docs/methods.md
// describes them. Each method's fields come from its descriptor; peft-load.ts reads them back.
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

function configFor(att: SavableAdapter): Record<string, unknown> {
  const conv1d = [...att.layers.values()].some(({ linear }) => linear.layout === "conv1d");
  return {
    peft_type: att.descriptor.peftType,
    target_modules: att.targets,
    bias: "none",
    fan_in_fan_out: conv1d,
    modules_to_save: null,
    base_model_name_or_path: null,
    revision: null,
    task_type: null,
    inference_mode: true,
    layers_to_transform: null,
    layers_pattern: null,
    ...att.descriptor.peftConfig(att.config, att.seed),
  };
}

export async function saveAdapter(att: SavableAdapter, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, { layer }] of att.layers) {
    for (const [suffix, t] of layer.state()) {
      tensors.set(`${PREFIX}${name}.${suffix}`, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
      t.dispose();
    }
  }
  await writeSafetensors(join(dir, WEIGHTS_FILE), tensors, {
    format: "pt",
    peft_nb_method: att.descriptor.name,
  });
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(configFor(att), null, 2)}\n`);
}

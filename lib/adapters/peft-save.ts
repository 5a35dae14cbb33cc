// Adapter files: adapter_model.safetensors + adapter_config.json in Hugging Face PEFT's layout.
// LoRA and BOFT (and LoRA-GA, exported as a plain rank-2r LoRA against the original base) use
// PEFT's keys and config fields, so PEFT loads them. uRNN ("URNN") and the hybrid
// ("HYBRID_BOFT_LORAGA") use the same key scheme with our own suffixes; docs/methods.md
// describes them. peft-format.ts reads them back.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type TensorToWrite, writeSafetensors } from "../io/safetensors.js";
import type { Linear } from "../nn/linear.js";
import { DEFAULT_GATE } from "./gate.js";
import type { AttachOptions } from "./options.js";
import type { LayerAdapter, Method } from "./types.js";

/** What the writer needs of an Attachment (attach.ts saves itself through this module). */
export interface SavableAdapter {
  readonly method: Method;
  readonly options: AttachOptions;
  readonly targets: string[];
  readonly layers: ReadonlyMap<string, { linear: Linear; layer: LayerAdapter }>;
}

export const WEIGHTS_FILE = "adapter_model.safetensors";
export const CONFIG_FILE = "adapter_config.json";
/** Every tensor key starts with PEFT's wrapper path. */
export const PREFIX = "base_model.model.";

function configFor(att: SavableAdapter): Record<string, unknown> {
  const o = att.options;
  const targets = att.targets;
  const conv1d = [...att.layers.values()].some(({ linear }) => linear.layout === "conv1d");
  const common = {
    target_modules: targets,
    bias: "none",
    fan_in_fan_out: conv1d,
    modules_to_save: null,
    base_model_name_or_path: null,
    revision: null,
    task_type: null,
    inference_mode: true,
    layers_to_transform: null,
    layers_pattern: null,
  };
  switch (o.method) {
    case "lora":
      return {
        peft_type: "LORA",
        ...common,
        r: o.r ?? 8,
        lora_alpha: o.alpha ?? 16,
        lora_dropout: o.dropout ?? 0,
        use_rslora: o.rslora ?? false,
        init_lora_weights: true,
        rank_pattern: {},
        alpha_pattern: {},
      };
    case "loraga": {
      // Scale folded into lora_B: rank 2r with alpha = 2r gives PEFT's scaling 1.
      const r2 = 2 * (o.r ?? 8);
      return {
        peft_type: "LORA",
        ...common,
        r: r2,
        lora_alpha: r2,
        lora_dropout: o.dropout ?? 0,
        use_rslora: false,
        init_lora_weights: true,
        rank_pattern: {},
        alpha_pattern: {},
      };
    }
    case "boft":
      return { peft_type: "BOFT", ...common, ...boftConfig(att), boft_dropout: 0, init_weights: true };
    case "urnn":
      return { peft_type: "URNN", ...common, transform: "walsh-hadamard", pairing: "interleaved", seed: o.seed ?? 0 };
    case "hybrid": {
      const r2 = 2 * (o.r ?? 8);
      return {
        peft_type: "HYBRID_BOFT_LORAGA",
        ...common,
        ...boftConfig(att),
        r: r2,
        lora_alpha: r2,
        gate: o.gate ?? DEFAULT_GATE,
      };
    }
  }
}

function boftConfig(att: SavableAdapter): Record<string, number> {
  const o = att.options as { blockSize?: number; blockNum?: number; factors?: number };
  const useNum = o.blockNum !== undefined && o.blockSize === undefined;
  return {
    boft_block_size: useNum ? 0 : (o.blockSize ?? 4),
    boft_block_num: useNum ? (o.blockNum as number) : 0,
    boft_n_butterfly_factor: o.factors ?? 1,
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
  await writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: "pt", peft_nb_method: att.method });
  await writeFile(join(dir, CONFIG_FILE), `${JSON.stringify(configFor(att), null, 2)}\n`);
}

// Reading adapter files (adapter_model.safetensors + adapter_config.json, Hugging Face PEFT's
// layout) back onto a model; peft-save.ts writes them and describes the layout.
import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AdapterFileError } from "../io/errors.js";
import { SafetensorsError, readSafetensors } from "../io/safetensors.js";
import type { LinearHost } from "../nn/module.js";
import { attach, type Attachment, type AttachOptions, type HybridAttachOptions } from "./attach.js";
import { DEFAULT_GATE, type GatePolicy } from "./gate.js";
import { CONFIG_FILE, PREFIX, WEIGHTS_FILE } from "./peft-save.js";
import type { Method } from "./types.js";

/** Reads an adapter folder and attaches it to `host`, checking names and shapes against the base. */
export async function loadAdapter(host: LinearHost, dir: string): Promise<Attachment> {
  const cfgPath = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(cfgPath, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new AdapterFileError(cfgPath, missing ? "file not found" : (err as Error).message);
  }
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new AdapterFileError(cfgPath, `not valid JSON, truncated or corrupt (${(err as Error).message})`);
  }
  if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg))
    throw new AdapterFileError(cfgPath, "must hold a JSON object");
  const weightsPath = join(dir, WEIGHTS_FILE);
  let file: Awaited<ReturnType<typeof readSafetensors>>;
  try {
    file = await readSafetensors(weightsPath);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new AdapterFileError(weightsPath, err.problem);
    throw err;
  }

  // module path -> suffix -> tensor
  const byModule = new Map<string, Map<string, { shape: number[]; data: Float32Array }>>();
  const suffixes = [
    "lora_A.weight",
    "lora_B.weight",
    "boft_R",
    "boft_s",
    "boft_P",
    "urnn_theta",
    "urnn_v0",
    "urnn_v",
    "urnn_perm",
    "hybrid_lambda",
  ];
  for (const [key, t] of file.tensors) {
    const suffix = suffixes.find((s) => key.endsWith(`.${s}`));
    if (!key.startsWith(PREFIX) || !suffix)
      throw new AdapterFileError(
        weightsPath,
        `unexpected tensor '${key}' (expected ${PREFIX}<module>.<${suffixes.join("|")}>)`,
      );
    if (suffix === "boft_P") continue; // PEFT may save its permutation buffer; it is rebuilt from the config
    const mod = key.slice(PREFIX.length, -(suffix.length + 1));
    if (!byModule.has(mod)) byModule.set(mod, new Map());
    byModule.get(mod)?.set(suffix, t);
  }
  const linears = host.linears();
  const missing = [...byModule.keys()].filter((m) => !linears.has(m));
  if (missing.length) {
    throw new AdapterFileError(
      weightsPath,
      `adapter targets module(s) ${missing.join(", ")} that the model lacks; model modules: ${[...linears.keys()].join(", ")}`,
    );
  }
  const targets = [...byModule.keys()];
  if (targets.length === 0) throw new AdapterFileError(weightsPath, `no adapter tensors`);
  const peftType = String(cfg.peft_type);
  const num = (k: string, d: number) => (typeof cfg[k] === "number" ? (cfg[k] as number) : d);
  const first = byModule.get(targets[0] as string) as Map<string, { shape: number[] }>;
  let options: AttachOptions;
  const hints: { hybridLora?: Map<string, { A: tf.Tensor2D; B: tf.Tensor2D }> } = {};
  const boftOpts = () => {
    const size = num("boft_block_size", 0),
      bnum = num("boft_block_num", 0);
    return {
      ...(size ? { blockSize: size } : {}),
      ...(bnum ? { blockNum: bnum } : {}),
      factors: num("boft_n_butterfly_factor", 1),
    };
  };
  switch (peftType) {
    case "LORA": {
      const rank = first.get("lora_A.weight")?.shape[0] ?? num("r", 8);
      options = {
        method: "lora",
        targets,
        r: rank,
        alpha: num("lora_alpha", 8),
        rslora: cfg.use_rslora === true,
        dropout: num("lora_dropout", 0),
      };
      break;
    }
    case "BOFT":
      options = { method: "boft", targets, ...boftOpts() };
      break;
    case "URNN":
      options = { method: "urnn", targets, seed: num("seed", 0) };
      break;
    case "HYBRID_BOFT_LORAGA": {
      hints.hybridLora = new Map();
      for (const t of targets) {
        const m = byModule.get(t) as Map<string, { shape: number[]; data: Float32Array }>;
        const A = m.get("lora_A.weight"),
          B = m.get("lora_B.weight");
        if (!A || !B) throw new AdapterFileError(weightsPath, `hybrid module ${t} lacks lora_A.weight/lora_B.weight`);
        hints.hybridLora.set(t, {
          A: tf.tensor2d(A.data, A.shape as [number, number]),
          B: tf.tensor2d(B.data, B.shape as [number, number]),
        });
      }
      options = {
        method: "hybrid",
        targets,
        ...boftOpts(),
        gate: (cfg.gate as GatePolicy | undefined) ?? DEFAULT_GATE,
      } as HybridAttachOptions;
      break;
    }
    default:
      throw new AdapterFileError(
        cfgPath,
        `peft_type '${peftType}' is not supported (LORA, BOFT, URNN, HYBRID_BOFT_LORAGA)`,
      );
  }
  // Exact module names so a file for q_proj of layer 0 does not attach to every q_proj.
  options.targets = (name: string) => byModule.has(name);
  let att: Attachment;
  try {
    att = attach(host, options, hints);
  } finally {
    hints.hybridLora?.forEach(({ A, B }) => {
      A.dispose();
      B.dispose();
    });
  }
  try {
    for (const [name, { layer, linear }] of att.layers) {
      const expected = layer.state();
      const given = byModule.get(name) as Map<string, { shape: number[]; data: Float32Array }>;
      const values = new Map<string, tf.Tensor>();
      for (const [suffix, t] of expected) {
        const g = given.get(suffix);
        const want = t.shape;
        t.dispose();
        if (!g)
          throw new AdapterFileError(
            weightsPath,
            `missing tensor '${PREFIX}${name}.${suffix}' for this ${peftType} adapter`,
          );
        if (g.shape.length !== want.length || g.shape.some((d, i) => d !== want[i])) {
          throw new AdapterFileError(
            weightsPath,
            `tensor '${PREFIX}${name}.${suffix}' has shape [${g.shape.join(", ")}], but ${name} (in_features ${linear.inFeatures}, out_features ${linear.outFeatures}) needs [${want.join(", ")}]`,
          );
        }
        values.set(suffix, tf.tensor(g.data, g.shape));
      }
      layer.setState(values);
      values.forEach((v) => {
        v.dispose();
      });
    }
  } catch (err) {
    att.detach();
    throw err;
  }
  // LoRA-GA is written as plain rank-2r LoRA; the metadata remembers where it came from.
  const savedAs = file.metadata.peft_nb_method;
  if (savedAs && savedAs !== att.method && METHOD_NAMES.includes(savedAs as Method))
    att.convertedFrom = savedAs as Method;
  return att;
}

const METHOD_NAMES: Method[] = ["lora", "boft", "loraga", "urnn", "hybrid"];

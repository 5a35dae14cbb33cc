// Reading adapter files (adapter_model.safetensors + adapter_config.json, Hugging Face PEFT's
// layout) back onto a model; peft-save.ts writes them and describes the layout. The peft_type
// picks the method's descriptor, which says which tensors to expect and what configuration the
// file describes; the layers are built from it and take the file's tensors.
import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AdapterFileError } from "../io/errors.js";
import { SafetensorsError, readSafetensors } from "../io/safetensors.js";
import type { LinearHost, ParameterHost } from "../nn/module.js";
import { attachConfigured, type Attachment } from "./attach.js";
import { CONFIG_FILE, PREFIX, WEIGHTS_FILE } from "./peft-save.js";
import { isAdapterMethod, methodForPeftType, readablePeftTypes } from "./registry.js";

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
  const peftType = String(cfg.peft_type);
  const method = methodForPeftType(peftType);
  if (!method)
    throw new AdapterFileError(cfgPath, `peft_type '${peftType}' is not supported (${readablePeftTypes().join(", ")})`);
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
  const ignored = method.ignoredSuffixes ?? [];
  const suffixes = [...method.suffixes, ...ignored];
  const saved = modulesToSaveOf(cfg, cfgPath);
  const wholeModules = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, t] of file.tensors) {
    const name = key.slice(PREFIX.length);
    if (key.startsWith(PREFIX) && saved.some((m) => name.startsWith(`${m}.`))) {
      wholeModules.set(name, t);
      continue;
    }
    const suffix = suffixes.find((s) => key.endsWith(`.${s}`));
    if (!key.startsWith(PREFIX) || !suffix)
      throw new AdapterFileError(
        weightsPath,
        `unexpected tensor '${key}' for a ${peftType} adapter (expected ${PREFIX}<module>.<${suffixes.join("|")}>)`,
      );
    if (ignored.includes(suffix)) continue;
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
  const first = byModule.get(targets[0] as string) as Map<string, { shape: number[] }>;
  let described: { config: unknown; seed?: number };
  try {
    described = (method.fromPeft as NonNullable<typeof method.fromPeft>)({
      config: cfg,
      number: (k, d) => (typeof cfg[k] === "number" ? (cfg[k] as number) : d),
      shape: (suffix) => first.get(suffix)?.shape,
    });
  } catch (err) {
    throw new AdapterFileError(cfgPath, (err as Error).message);
  }
  // Exact module names so a file for q_proj of layer 0 does not attach to every q_proj.
  const att = attachConfigured(host, method, described.config, {
    targets: (name: string) => byModule.has(name),
    seed: described.seed ?? 0,
  });
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
  try {
    loadWholeModules(host, wholeModules, weightsPath);
  } catch (err) {
    att.detach();
    throw err;
  }
  // LoRA-GA is written as plain rank-2r LoRA; the metadata remembers where it came from.
  const savedAs = file.metadata.peft_nb_method;
  if (savedAs && savedAs !== att.method && isAdapterMethod(savedAs)) att.convertedFrom = savedAs;
  return att;
}

/** The config's modules_to_save: null or a list of module paths. */
function modulesToSaveOf(cfg: Record<string, unknown>, cfgPath: string): string[] {
  const m = cfg.modules_to_save;
  if (m === null || m === undefined) return [];
  if (!Array.isArray(m) || m.some((x) => typeof x !== "string"))
    throw new AdapterFileError(
      cfgPath,
      `modules_to_save must be null or a list of module names, found ${JSON.stringify(m)}`,
    );
  return m as string[];
}

/** Copies modules trained whole (a classification head) into the host's own weights; checks every one first, so a bad file changes nothing. */
function loadWholeModules(
  host: LinearHost,
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  weightsPath: string,
): void {
  if (tensors.size === 0) return;
  const params = (host as Partial<ParameterHost>).namedParameters?.();
  if (!params)
    throw new AdapterFileError(
      weightsPath,
      `holds modules_to_save tensors (${[...tensors.keys()].join(", ")}) but the host exposes no parameters`,
    );
  for (const [name, t] of tensors) {
    const v = params.get(name);
    if (!v)
      throw new AdapterFileError(
        weightsPath,
        `modules_to_save tensor '${PREFIX}${name}' has no matching weight '${name}' in the model (a classification model is needed for a head)`,
      );
    if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i]))
      throw new AdapterFileError(
        weightsPath,
        `modules_to_save tensor '${PREFIX}${name}' has shape [${t.shape.join(", ")}], the model's '${name}' is [${v.shape.join(", ")}]`,
      );
  }
  for (const [name, t] of tensors) tf.tidy(() => params.get(name)?.assign(tf.tensor(t.data, t.shape)));
}

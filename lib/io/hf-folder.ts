// A Hugging Face model folder: config.json plus model.safetensors, or a sharded
// model.safetensors.index.json whose weight_map names the shard holding each tensor.
// Tensors are widened to f32 on read (see safetensors.ts); writing is f32 in HF naming, so a
// saved folder reloads bit-exact here and in transformers / safetensors.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { CheckpointError, ConfigError, formatShape } from "./errors.js";
import { type HostTensor, type TensorToWrite, readSafetensors, serializeSafetensors } from "./safetensors.js";

export const CONFIG_FILE = "config.json";
export const WEIGHTS_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";
export const TOKENIZER_FILE = "tokenizer.json";

/** model_type values this library builds models for. */
export const SUPPORTED_MODEL_TYPES = ["llama", "gpt2"] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

/** config.json as parsed JSON; lib/models interprets the fields. */
export type HfConfig = Record<string, unknown>;

export interface HfFolder {
  dir: string;
  config: HfConfig;
  tensors: Map<string, HostTensor>;
  /** tokenizer.json in the same folder, when there is one. */
  tokenizerPath?: string;
  /** The weight files read, for messages ("model.safetensors" or the shards). */
  weightFiles: string[];
}

export interface ReadHfFolderOptions {
  /** Reject a config whose model_type is not in SUPPORTED_MODEL_TYPES (default true). */
  checkArchitecture?: boolean;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Reads a JSON file; a missing file or bad JSON (truncated, corrupt) is an error naming the file,
 * of the class `error` makes (default CheckpointError; ConfigError for config.json, ...).
 */
export async function readJson(
  path: string,
  what: string,
  error: (file: string, problem: string) => CheckpointError = (f, p) => new CheckpointError(f, p),
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw error(path, code === "ENOENT" ? `${what} not found` : (err as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw error(path, `${what} is not valid JSON, truncated or corrupt (${(err as Error).message})`);
  }
}

/** The model_type of a config, checked against the architectures this library supports. */
export function requireModelType(config: HfConfig, file: string): ModelType {
  const t = config.model_type;
  if (t === undefined) {
    throw new ConfigError(
      file,
      `missing config field 'model_type' (expected one of ${SUPPORTED_MODEL_TYPES.map((m) => `"${m}"`).join(", ")})`,
    );
  }
  if (typeof t !== "string" || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(t)) {
    throw new ConfigError(
      file,
      `unknown architecture: model_type ${JSON.stringify(t)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.map((m) => `"${m}"`).join(", ")})`,
    );
  }
  return t as ModelType;
}

type FieldKind = "number" | "integer" | "string" | "boolean";

function fieldOk(v: unknown, kind: FieldKind): boolean {
  return kind === "integer" ? Number.isInteger(v) : typeof v === kind;
}

/** A required config field of the given kind; the error names the file, field, expected and found. */
export function configField<K extends FieldKind>(
  config: HfConfig,
  field: string,
  kind: K,
  file: string,
): K extends "string" ? string : K extends "boolean" ? boolean : number {
  const v = config[field];
  if (v === undefined || v === null)
    throw new ConfigError(
      file,
      `missing config field '${field}' (expected ${kind === "integer" ? "an integer" : `a ${kind}`})`,
    );
  if (!fieldOk(v, kind)) {
    throw new ConfigError(
      file,
      `config field '${field}' must be ${kind === "integer" ? "an integer" : `a ${kind}`}, found ${JSON.stringify(v)}`,
    );
  }
  return v as never;
}

/** An optional config field: `fallback` when absent, an error when present with the wrong kind. */
export function optionalConfigField<K extends FieldKind>(
  config: HfConfig,
  field: string,
  kind: K,
  fallback: K extends "string" ? string : K extends "boolean" ? boolean : number,
  file: string,
): K extends "string" ? string : K extends "boolean" ? boolean : number {
  const v = config[field];
  return v === undefined || v === null ? fallback : configField(config, field, kind, file);
}

export interface CheckTensorsOptions {
  /** Also fail on tensors the model does not expect (default false: they are returned). */
  rejectUnexpected?: boolean;
}

/**
 * Checks that every expected tensor is present with its shape. All problems are reported in
 * one error (the first 20 listed), each with name, expected and found shape. Returns the names
 * present but not expected (e.g. rotary caches some exporters save).
 */
export function checkTensors(
  tensors: Map<string, { shape: number[] }>,
  expected: Map<string, readonly number[]>,
  file: string,
  options: CheckTensorsOptions = {},
): { unexpected: string[] } {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) {
      // The usual cause is a prefix difference (GPT-2 files saved without "transformer.", etc.).
      const near = [...tensors.keys()].find((n) => n.endsWith(`.${name}`) || name.endsWith(`.${n}`));
      const hint = near ? `; found '${near}' — a different name prefix?` : "";
      problems.push(`tensor '${name}' is missing (expected shape ${formatShape(shape)})${hint}`);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(
        `tensor '${name}' has the wrong shape: expected ${formatShape(shape)}, found ${formatShape(t.shape)}`,
      );
    }
  }
  const unexpected = [...tensors.keys()].filter((n) => !expected.has(n));
  if (options.rejectUnexpected) for (const n of unexpected) problems.push(`unexpected tensor '${n}'`);
  if (problems.length === 1) throw new CheckpointError(file, problems[0] as string);
  if (problems.length > 1) {
    const shown = problems
      .slice(0, 20)
      .map((p) => `\n  - ${p}`)
      .join("");
    const more = problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : "";
    throw new CheckpointError(file, `${problems.length} tensor problems:${shown}${more}`);
  }
  return { unexpected };
}

interface ShardIndex {
  weight_map: Record<string, string>;
}

function parseIndex(raw: unknown, file: string): ShardIndex {
  const wm = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (wm === undefined || wm === null || typeof wm !== "object" || Array.isArray(wm)) {
    throw new CheckpointError(
      file,
      "missing field 'weight_map' (expected an object mapping tensor names to shard files)",
    );
  }
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== "string" || shard === "" || basename(shard) !== shard) {
      throw new CheckpointError(
        file,
        `weight_map entry '${name}' must be a shard file name in this folder, found ${JSON.stringify(shard)}`,
      );
    }
  }
  return { weight_map: wm as Record<string, string> };
}

async function readSharded(dir: string, tensors: Map<string, HostTensor>): Promise<string[]> {
  const indexPath = join(dir, INDEX_FILE);
  const index = parseIndex(await readJson(indexPath, "shard index"), indexPath);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    const list = byShard.get(shard) ?? [];
    list.push(name);
    byShard.set(shard, list);
  }
  // Check every shard exists before reading any: a missing one is the common broken download.
  for (const [shard, names] of byShard) {
    if (!(await isFile(join(dir, shard)))) {
      const some =
        names
          .slice(0, 3)
          .map((n) => `'${n}'`)
          .join(", ") + (names.length > 3 ? ", ..." : "");
      throw new CheckpointError(
        indexPath,
        `weight_map points at shard '${shard}', which is missing from ${dir} (it should hold ${names.length} tensors: ${some})`,
      );
    }
  }
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    const file = await readSafetensors(path);
    for (const name of names) {
      const t = file.tensors.get(name);
      if (!t) throw new CheckpointError(path, `tensor '${name}' is missing: ${INDEX_FILE} says this shard holds it`);
      tensors.set(name, t);
    }
  }
  return [...byShard.keys()];
}

/** Reads config.json and the weights of a Hugging Face model folder. */
export async function readHfFolder(dir: string, options: ReadHfFolderOptions = {}): Promise<HfFolder> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new CheckpointError(dir, "model folder not found");
  if (!st.isDirectory())
    throw new CheckpointError(
      dir,
      "not a folder (expected a Hugging Face model folder with config.json and model.safetensors)",
    );

  const configPath = join(dir, CONFIG_FILE);
  const config = await readJson(configPath, "config.json", (f, p) => new ConfigError(f, p));
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(configPath, "config.json must hold a JSON object");
  }
  if (options.checkArchitecture ?? true) requireModelType(config as HfConfig, configPath);

  const tensors = new Map<string, HostTensor>();
  let weightFiles: string[];
  if (await isFile(join(dir, WEIGHTS_FILE))) {
    const file = await readSafetensors(join(dir, WEIGHTS_FILE));
    for (const [k, v] of file.tensors) tensors.set(k, v);
    weightFiles = [WEIGHTS_FILE];
  } else if (await isFile(join(dir, INDEX_FILE))) {
    weightFiles = await readSharded(dir, tensors);
  } else {
    const pickle = (await isFile(join(dir, "pytorch_model.bin")))
      ? "; found pytorch_model.bin, a pickle format this library does not read (convert it to safetensors)"
      : "";
    throw new CheckpointError(dir, `no weights: expected ${WEIGHTS_FILE} or ${INDEX_FILE}${pickle}`);
  }
  const tokenizerPath = (await isFile(join(dir, TOKENIZER_FILE))) ? join(dir, TOKENIZER_FILE) : undefined;
  return { dir, config: config as HfConfig, tensors, weightFiles, ...(tokenizerPath ? { tokenizerPath } : {}) };
}

export interface WriteHfFolderOptions {
  /** Split the weights into shards of at most this many bytes of tensor data (one tensor larger than it gets a shard of its own). */
  maxShardBytes?: number;
  /** safetensors __metadata__; "format": "pt" is added because transformers refuses files without it. */
  metadata?: Record<string, string>;
}

const SHARD_RE = /^model-\d{5}-of-\d{5}\.safetensors$/;

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Writes config.json and f32 weights. Weight files of an earlier save that this one does not
 * overwrite are removed afterwards, so the folder never holds two disagreeing copies. Returns the
 * weight files written.
 */
export async function writeHfFolder(
  dir: string,
  config: HfConfig,
  tensors: Map<string, TensorToWrite>,
  options: WriteHfFolderOptions = {},
): Promise<string[]> {
  const metadata = { format: "pt", ...options.metadata };
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name) as TensorToWrite;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new CheckpointError(
        dir,
        `tensor '${name}' has shape ${formatShape(t.shape)} (${count} values) but ${t.data.length} values`,
      );
    }
  }
  const max = options.maxShardBytes;
  if (max !== undefined && !(Number.isFinite(max) && max > 0))
    throw new CheckpointError(dir, `maxShardBytes must be a positive number, found ${max}`);

  const shards: string[][] = [[]];
  let size = 0;
  for (const name of names) {
    const bytes = (tensors.get(name) as TensorToWrite).data.length * 4;
    const current = shards[shards.length - 1] as string[];
    if (max !== undefined && current.length > 0 && size + bytes > max) {
      shards.push([name]);
      size = bytes;
    } else {
      current.push(name);
      size += bytes;
    }
  }

  await mkdir(dir, { recursive: true });
  const before = await readdir(dir);
  const pick = (list: string[]) => new Map(list.map((n) => [n, tensors.get(n) as TensorToWrite]));
  const written: string[] = [];
  if (max === undefined || shards.length === 1) {
    await writeAtomic(join(dir, WEIGHTS_FILE), serializeSafetensors(pick(names), metadata));
    written.push(WEIGHTS_FILE);
  } else {
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (const [i, list] of shards.entries()) {
      const file = `model-${String(i + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`;
      await writeAtomic(join(dir, file), serializeSafetensors(pick(list), metadata));
      written.push(file);
      for (const n of list) {
        weightMap[n] = file;
        totalSize += (tensors.get(n) as TensorToWrite).data.length * 4;
      }
    }
    await writeAtomic(
      join(dir, INDEX_FILE),
      `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`,
    );
  }
  await writeAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  // Only now remove weight files of an earlier save, so a failed write never leaves the folder empty.
  const keep = new Set(written[0] === WEIGHTS_FILE ? written : [...written, INDEX_FILE]);
  const stale = before.filter((f) => (f === WEIGHTS_FILE || f === INDEX_FILE || SHARD_RE.test(f)) && !keep.has(f));
  await Promise.all(stale.map((f) => rm(join(dir, f), { force: true })));
  return written;
}

// One config type for both families, parsed from (and written back to) Hugging Face
// config.json. Fields a family does not use keep neutral defaults so code can read them freely.
import { ConfigError } from "../io/errors.js";

export { ConfigError };

export type ModelFamily = "llama" | "gpt2";
export type ModelTask = "causal-lm" | "sequence-classification";

export interface ModelConfig {
  family: ModelFamily;
  task: ModelTask;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads: = numHeads for multi-head, 1 for multi-query, between for grouped-query. */
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  /** RMSNorm epsilon (llama) or LayerNorm epsilon (gpt2). */
  normEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  /** Classification labels (task "sequence-classification"). */
  numLabels: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  /** Keys of the source config.json that are written back unchanged on save. */
  extra?: Record<string, unknown>;
}

/** Fills defaults for a config built in code; sizes not given are derived from hiddenSize. */
export function makeConfig(
  c: Partial<ModelConfig> & Pick<ModelConfig, "family" | "vocabSize" | "hiddenSize" | "numLayers" | "numHeads">,
): ModelConfig {
  const headDim = c.headDim ?? c.hiddenSize / c.numHeads;
  const cfg: ModelConfig = {
    task: "causal-lm",
    numKvHeads: c.numHeads,
    headDim,
    intermediateSize: c.family === "gpt2" ? 4 * c.hiddenSize : c.hiddenSize * 4,
    maxPositions: 256,
    normEps: c.family === "gpt2" ? 1e-5 : 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: c.family === "gpt2",
    numLabels: 2,
    bosTokenId: c.family === "gpt2" ? c.vocabSize - 1 : 1,
    eosTokenId: c.family === "gpt2" ? c.vocabSize - 1 : 2,
    padTokenId: null,
    ...c,
  } as ModelConfig;
  validateConfig(cfg, "<config>");
  return cfg;
}

function validateConfig(c: ModelConfig, file: string): void {
  const positive: (keyof ModelConfig)[] = [
    "vocabSize",
    "hiddenSize",
    "numLayers",
    "numHeads",
    "numKvHeads",
    "headDim",
    "intermediateSize",
    "maxPositions",
    "numLabels",
  ];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new ConfigError(file, `field ${k}: expected a positive integer, found ${JSON.stringify(v)}`);
    }
  }
  if (c.numHeads % c.numKvHeads !== 0) {
    throw new ConfigError(file, `num_key_value_heads ${c.numKvHeads} must divide num_attention_heads ${c.numHeads}`);
  }
  if (c.family === "gpt2" && c.headDim * c.numHeads !== c.hiddenSize) {
    throw new ConfigError(file, `n_embd ${c.hiddenSize} is not divisible by n_head ${c.numHeads}`);
  }
  if (c.family === "llama" && c.headDim % 2 !== 0) {
    throw new ConfigError(file, `head_dim ${c.headDim} must be even for rotary embeddings`);
  }
}

type Json = Record<string, unknown>;

function num(j: Json, file: string, keys: string[], fallback?: number): number {
  for (const k of keys) {
    const v = j[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number") throw new ConfigError(file, `field ${k}: expected a number, found ${JSON.stringify(v)}`);
    return v;
  }
  if (fallback === undefined) throw new ConfigError(file, `missing field ${keys.join(" / ")}`);
  return fallback;
}

function tokenId(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (Array.isArray(v) && typeof v[0] === "number") return v[0];
  return null;
}

const LLAMA_KEYS = [
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "intermediate_size",
  "max_position_embeddings",
  "rms_norm_eps",
  "rope_theta",
  "tie_word_embeddings",
];
const GPT2_KEYS = [
  "vocab_size",
  "n_embd",
  "n_layer",
  "n_head",
  "n_inner",
  "n_positions",
  "n_ctx",
  "layer_norm_epsilon",
  "tie_word_embeddings",
];
const COMMON_KEYS = [
  "model_type",
  "architectures",
  "num_labels",
  "id2label",
  "label2id",
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
  "torch_dtype",
];

function taskOf(j: Json): ModelTask {
  const arch = Array.isArray(j.architectures) ? String(j.architectures[0] ?? "") : "";
  return arch.endsWith("ForSequenceClassification") ? "sequence-classification" : "causal-lm";
}

function numLabelsOf(j: Json, file: string): number {
  if (j.id2label && typeof j.id2label === "object") return Object.keys(j.id2label as Json).length;
  return num(j, file, ["num_labels"], 2);
}

/** Parses a Hugging Face config.json object; `file` names the source in errors. */
export function parseConfig(json: unknown, file = "config.json"): ModelConfig {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new ConfigError(file, "expected a JSON object");
  const j = json as Json;
  const type = j.model_type;
  let cfg: ModelConfig;
  if (type === "llama") {
    if (j.rope_scaling)
      throw new ConfigError(file, `rope_scaling ${JSON.stringify(j.rope_scaling)} is not supported (expected null)`);
    if (j.attention_bias === true || j.mlp_bias === true)
      throw new ConfigError(file, "attention_bias/mlp_bias = true is not supported");
    const act = j.hidden_act ?? "silu";
    if (act !== "silu") throw new ConfigError(file, `hidden_act: expected "silu", found ${JSON.stringify(act)}`);
    const hidden = num(j, file, ["hidden_size"]);
    const heads = num(j, file, ["num_attention_heads"]);
    cfg = {
      family: "llama",
      task: taskOf(j),
      vocabSize: num(j, file, ["vocab_size"]),
      hiddenSize: hidden,
      numLayers: num(j, file, ["num_hidden_layers"]),
      numHeads: heads,
      numKvHeads: num(j, file, ["num_key_value_heads"], heads),
      headDim: num(j, file, ["head_dim"], hidden / heads),
      intermediateSize: num(j, file, ["intermediate_size"]),
      maxPositions: num(j, file, ["max_position_embeddings"], 2048),
      normEps: num(j, file, ["rms_norm_eps"], 1e-6),
      ropeTheta: num(j, file, ["rope_theta"], 10000),
      tieWordEmbeddings: j.tie_word_embeddings === true,
      numLabels: numLabelsOf(j, file),
      bosTokenId: tokenId(j.bos_token_id),
      eosTokenId: tokenId(j.eos_token_id),
      padTokenId: tokenId(j.pad_token_id),
    };
  } else if (type === "gpt2") {
    const act = j.activation_function ?? "gelu_new";
    if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") {
      throw new ConfigError(file, `activation_function: expected "gelu_new", found ${JSON.stringify(act)}`);
    }
    if (
      j.scale_attn_weights === false ||
      j.scale_attn_by_inverse_layer_idx === true ||
      j.reorder_and_upcast_attn === true
    ) {
      throw new ConfigError(
        file,
        "scale_attn_weights = false, scale_attn_by_inverse_layer_idx and reorder_and_upcast_attn are not supported",
      );
    }
    const hidden = num(j, file, ["n_embd", "hidden_size"]);
    const heads = num(j, file, ["n_head", "num_attention_heads"]);
    cfg = {
      family: "gpt2",
      task: taskOf(j),
      vocabSize: num(j, file, ["vocab_size"]),
      hiddenSize: hidden,
      numLayers: num(j, file, ["n_layer", "num_hidden_layers"]),
      numHeads: heads,
      numKvHeads: heads,
      headDim: hidden / heads,
      intermediateSize: num(j, file, ["n_inner"], 4 * hidden),
      maxPositions: num(j, file, ["n_positions", "n_ctx"], 1024),
      normEps: num(j, file, ["layer_norm_epsilon"], 1e-5),
      ropeTheta: 10000,
      tieWordEmbeddings: j.tie_word_embeddings !== false,
      numLabels: numLabelsOf(j, file),
      bosTokenId: tokenId(j.bos_token_id),
      eosTokenId: tokenId(j.eos_token_id),
      padTokenId: tokenId(j.pad_token_id),
    };
    if (!cfg.tieWordEmbeddings) throw new ConfigError(file, "tie_word_embeddings = false is not supported for gpt2");
  } else {
    throw new ConfigError(
      file,
      `unknown architecture: model_type ${JSON.stringify(type)} (expected "llama" or "gpt2")`,
    );
  }
  const known = new Set([...COMMON_KEYS, ...(type === "llama" ? LLAMA_KEYS : GPT2_KEYS)]);
  cfg.extra = Object.fromEntries(Object.entries(j).filter(([k]) => !known.has(k)));
  validateConfig(cfg, file);
  return cfg;
}

/** The Hugging Face config.json for a config (inverse of parseConfig). */
export function toHfConfig(c: ModelConfig): Record<string, unknown> {
  const head =
    c.task === "sequence-classification"
      ? "ForSequenceClassification"
      : c.family === "llama"
        ? "ForCausalLM"
        : "LMHeadModel";
  const labels =
    c.task === "sequence-classification"
      ? { id2label: Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [String(i), `LABEL_${i}`])) }
      : {};
  const ids = { bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId, pad_token_id: c.padTokenId };
  if (c.family === "llama") {
    return {
      ...c.extra,
      architectures: [`Llama${head}`],
      model_type: "llama",
      vocab_size: c.vocabSize,
      hidden_size: c.hiddenSize,
      num_hidden_layers: c.numLayers,
      num_attention_heads: c.numHeads,
      num_key_value_heads: c.numKvHeads,
      head_dim: c.headDim,
      intermediate_size: c.intermediateSize,
      max_position_embeddings: c.maxPositions,
      rms_norm_eps: c.normEps,
      rope_theta: c.ropeTheta,
      hidden_act: "silu",
      tie_word_embeddings: c.tieWordEmbeddings,
      torch_dtype: "float32",
      ...ids,
      ...labels,
    };
  }
  return {
    ...c.extra,
    architectures: [`GPT2${head}`],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_embd: c.hiddenSize,
    n_layer: c.numLayers,
    n_head: c.numHeads,
    n_inner: c.intermediateSize,
    n_positions: c.maxPositions,
    layer_norm_epsilon: c.normEps,
    activation_function: "gelu_new",
    tie_word_embeddings: true,
    torch_dtype: "float32",
    ...ids,
    ...labels,
  };
}

// llama2.c checkpoints (legacy format, version 0), read into the shape of a Hugging Face LLaMA
// folder so lib/models has one convention to implement.
//
// Layout (little-endian): 7 int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size
// (negative: a separate output matrix is stored), seq_len — then f32 arrays: token embedding,
// attention RMSNorm, wq, wk, wv, wo, FFN RMSNorm, w1, w2, w3, final RMSNorm, two legacy RoPE
// tables [seq_len, head_size/2], and, when not shared, the output matrix (llama2.c's run.c reads
// it after the RoPE tables).
//
// RoPE: llama2.c rotates interleaved pairs (2i, 2i+1) of each head; HF LLaMA rotates halves
// (i, i + d/2). Permuting the rows of q_proj and k_proj within each head — new row i = old row
// 2i, new row d/2 + i = old row 2i+1, as transformers' convert_llama_weights_to_hf does — makes
// the HF rotation of the permuted weights equal to llama2.c's rotation of the raw ones, up to
// the same permutation of q and k, which leaves every q·k score unchanged.
import { readFile } from "node:fs/promises";
import { CheckpointError } from "./errors.js";
import type { HfConfig } from "./hf-folder.js";
import type { HostTensor } from "./safetensors.js";

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** vocab_size was positive: the output projection reuses the token embedding. */
  sharedClassifier: boolean;
}

export interface Llama2cCheckpoint {
  header: Llama2cHeader;
  /** HF LLaMA config (model_type "llama"). */
  config: HfConfig;
  /** HF tensor names, q_proj/k_proj rows permuted to the half-rotation convention. */
  tensors: Map<string, HostTensor>;
}

const HEADER_BYTES = 7 * 4;
/** "ak42": the newer llama2.c export formats (version 1+), which start with a magic number. */
const MAGIC_V1 = 0x616b3432;

function parseHeader(view: DataView, file: string): Llama2cHeader {
  if (view.byteLength < HEADER_BYTES) {
    throw new CheckpointError(
      file,
      `truncated: ${view.byteLength} bytes, too short for the ${HEADER_BYTES}-byte llama2.c header`,
    );
  }
  if (view.getUint32(0, true) === MAGIC_V1) {
    throw new CheckpointError(
      file,
      `llama2.c export version ${view.getInt32(4, true)} (magic "ak42") is not supported; only the legacy version-0 format is read`,
    );
  }
  const h = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = h;
  const named = {
    dim,
    hidden_dim: hiddenDim,
    n_layers: nLayers,
    n_heads: nHeads,
    n_kv_heads: nKvHeads,
    seq_len: seqLen,
  };
  for (const [k, v] of Object.entries(named)) {
    if (v <= 0) throw new CheckpointError(file, `bad header: ${k} must be positive, found ${v}`);
  }
  if (vocab === 0) throw new CheckpointError(file, "bad header: vocab_size must be non-zero, found 0");
  if (dim % nHeads !== 0)
    throw new CheckpointError(file, `bad header: dim ${dim} is not divisible by n_heads ${nHeads}`);
  if ((dim / nHeads) % 2 !== 0)
    throw new CheckpointError(file, `bad header: head size ${dim / nHeads} must be even for rotary embeddings`);
  if (nHeads % nKvHeads !== 0)
    throw new CheckpointError(file, `bad header: n_heads ${nHeads} is not divisible by n_kv_heads ${nKvHeads}`);
  return { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
}

/** Float count of every array in file order, given the header. */
function layout(h: Llama2cHeader): Array<[string, number]> {
  const headSize = h.dim / h.nHeads;
  const kvDim = headSize * h.nKvHeads;
  const L = h.nLayers;
  const parts: Array<[string, number]> = [
    ["token_embedding", h.vocabSize * h.dim],
    ["rms_att", L * h.dim],
    ["wq", L * h.dim * h.dim],
    ["wk", L * kvDim * h.dim],
    ["wv", L * kvDim * h.dim],
    ["wo", L * h.dim * h.dim],
    ["rms_ffn", L * h.dim],
    ["w1", L * h.hiddenDim * h.dim],
    ["w2", L * h.dim * h.hiddenDim],
    ["w3", L * h.hiddenDim * h.dim],
    ["rms_final", h.dim],
    ["freq_cis_real", (h.seqLen * headSize) / 2],
    ["freq_cis_imag", (h.seqLen * headSize) / 2],
  ];
  if (!h.sharedClassifier) parts.push(["wcls", h.vocabSize * h.dim]);
  return parts;
}

/**
 * Permutes the rows of a [nHeads*headSize, cols] projection from interleaved RoPE pairs to
 * half rotation, per head. Exported for tests and for converting other interleaved checkpoints.
 */
export function permuteInterleavedToHalf(
  data: Float32Array,
  nHeads: number,
  headSize: number,
  cols: number,
): Float32Array {
  if (data.length !== nHeads * headSize * cols) {
    throw new Error(`permuteInterleavedToHalf: ${data.length} values, expected ${nHeads}*${headSize}*${cols}`);
  }
  const out = new Float32Array(data.length);
  const half = headSize / 2;
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (const [src, dst] of [
        [2 * i, i],
        [2 * i + 1, half + i],
      ] as const) {
        const from = (h * headSize + src) * cols;
        out.set(data.subarray(from, from + cols), (h * headSize + dst) * cols);
      }
    }
  }
  return out;
}

/** Parses a llama2.c checkpoint held in memory; `file` is used in messages only. */
export function parseLlama2c(buf: Uint8Array, file = "<buffer>"): Llama2cCheckpoint {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const h = parseHeader(view, file);
  const parts = layout(h);
  const floats = parts.reduce((a, [, n]) => a + n, 0);
  const expected = HEADER_BYTES + floats * 4;
  const desc = `dim ${h.dim}, hidden_dim ${h.hiddenDim}, n_layers ${h.nLayers}, n_heads ${h.nHeads}, n_kv_heads ${h.nKvHeads}, vocab_size ${h.sharedClassifier ? "" : "-"}${h.vocabSize}, seq_len ${h.seqLen}`;
  if (buf.byteLength < expected) {
    throw new CheckpointError(
      file,
      `truncated: the header (${desc}) needs ${expected} bytes, the file has ${buf.byteLength}`,
    );
  }
  if (buf.byteLength > expected) {
    throw new CheckpointError(
      file,
      `size mismatch: the header (${desc}) needs ${expected} bytes, the file has ${buf.byteLength} (wrong header or not a version-0 llama2.c checkpoint)`,
    );
  }
  // Copy once into an aligned buffer; every array below is a view or a copy of it.
  const all = new Float32Array(floats);
  new Uint8Array(all.buffer).set(buf.subarray(HEADER_BYTES, expected));
  const arrays = new Map<string, Float32Array>();
  let off = 0;
  for (const [name, n] of parts) {
    arrays.set(name, all.subarray(off, off + n));
    off += n;
  }
  const get = (name: string) => arrays.get(name) as Float32Array;

  const headSize = h.dim / h.nHeads;
  const kvDim = headSize * h.nKvHeads;
  const tensors = new Map<string, HostTensor>();
  const put = (name: string, shape: number[], data: Float32Array) =>
    tensors.set(name, { shape, data: data.slice(), dtype: "F32" });
  const layer = (arr: string, l: number, rows: number, cols: number) =>
    get(arr).subarray(l * rows * cols, (l + 1) * rows * cols);

  put("model.embed_tokens.weight", [h.vocabSize, h.dim], get("token_embedding"));
  for (let l = 0; l < h.nLayers; l++) {
    const p = `model.layers.${l}`;
    put(`${p}.input_layernorm.weight`, [h.dim], layer("rms_att", l, 1, h.dim));
    tensors.set(`${p}.self_attn.q_proj.weight`, {
      shape: [h.dim, h.dim],
      dtype: "F32",
      data: permuteInterleavedToHalf(layer("wq", l, h.dim, h.dim), h.nHeads, headSize, h.dim),
    });
    tensors.set(`${p}.self_attn.k_proj.weight`, {
      shape: [kvDim, h.dim],
      dtype: "F32",
      data: permuteInterleavedToHalf(layer("wk", l, kvDim, h.dim), h.nKvHeads, headSize, h.dim),
    });
    put(`${p}.self_attn.v_proj.weight`, [kvDim, h.dim], layer("wv", l, kvDim, h.dim));
    put(`${p}.self_attn.o_proj.weight`, [h.dim, h.dim], layer("wo", l, h.dim, h.dim));
    put(`${p}.post_attention_layernorm.weight`, [h.dim], layer("rms_ffn", l, 1, h.dim));
    put(`${p}.mlp.gate_proj.weight`, [h.hiddenDim, h.dim], layer("w1", l, h.hiddenDim, h.dim));
    put(`${p}.mlp.down_proj.weight`, [h.dim, h.hiddenDim], layer("w2", l, h.dim, h.hiddenDim));
    put(`${p}.mlp.up_proj.weight`, [h.hiddenDim, h.dim], layer("w3", l, h.hiddenDim, h.dim));
  }
  put("model.norm.weight", [h.dim], get("rms_final"));
  if (!h.sharedClassifier) put("lm_head.weight", [h.vocabSize, h.dim], get("wcls"));

  const config: HfConfig = {
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    hidden_size: h.dim,
    intermediate_size: h.hiddenDim,
    num_hidden_layers: h.nLayers,
    num_attention_heads: h.nHeads,
    num_key_value_heads: h.nKvHeads,
    vocab_size: h.vocabSize,
    max_position_embeddings: h.seqLen,
    hidden_act: "silu",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: h.sharedClassifier,
    // llama2.c starts generation from BOS = 1 and treats BOS as the end of a sequence too.
    bos_token_id: 1,
    eos_token_id: 1,
    torch_dtype: "float32",
  };
  return { header: h, config, tensors };
}

export async function readLlama2c(path: string): Promise<Llama2cCheckpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === "ENOENT" ? "llama2.c checkpoint not found" : (err as Error).message);
  }
  return parseLlama2c(buf, path);
}

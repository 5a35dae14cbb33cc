// Hugging Face tokenizers (tokenizer.json + optional tokenizer_config.json) through the
// maintained @huggingface/tokenizers library; this file only adds ids for special tokens,
// batch padding and errors that name the file.
import { readJson } from "./hf-folder.js";
import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { TokenizerError } from "./errors.js";

export interface EncodeOptions {
  /** Apply the tokenizer's post-processor (e.g. prepend BOS). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

export interface BatchEncodeOptions extends EncodeOptions {
  /** Where padding goes: "right" for training, "left" for batched generation. Default "right". */
  paddingSide?: "left" | "right";
  /** Pad every row to this length instead of the longest row. */
  padToLength?: number;
  /** Cut rows longer than this, keeping their start (or end, with truncationSide "left"). */
  maxLength?: number;
  truncationSide?: "left" | "right";
}

export interface BatchEncoding {
  /** Rows of equal length, padded with padId. */
  ids: number[][];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[][];
  /** Real tokens per row. */
  lengths: number[];
}

export interface SpecialIdOverrides {
  bosId?: number;
  eosId?: number;
  padId?: number;
}

type Json = Record<string, unknown>;

/** tokenizer_config.json writes special tokens as a string or as {content: ...}. */
function tokenName(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string")
    return (v as { content: string }).content;
  return undefined;
}

export class HfTokenizer {
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly padId: number | undefined;
  /** One more than the largest id, added tokens included: the embedding needs this many rows. */
  readonly vocabSize: number;
  private readonly tok: Tokenizer;

  /**
   * Builds from parsed tokenizer.json / tokenizer_config.json. `file` names the source in
   * errors; special ids come from the config's *_token names unless overridden.
   */
  constructor(
    tokenizerJson: unknown,
    tokenizerConfig: unknown = {},
    file = "<tokenizer.json>",
    overrides: SpecialIdOverrides = {},
  ) {
    if (tokenizerJson === null || typeof tokenizerJson !== "object" || Array.isArray(tokenizerJson)) {
      throw new TokenizerError(file, "tokenizer.json must hold a JSON object");
    }
    const model = (tokenizerJson as Json).model;
    if (!model || typeof model !== "object")
      throw new TokenizerError(
        file,
        "missing field 'model' (expected the tokenizer model, e.g. {type: \"BPE\", vocab, merges})",
      );
    if (tokenizerConfig !== null && (typeof tokenizerConfig !== "object" || Array.isArray(tokenizerConfig)))
      throw new TokenizerError(file, "tokenizer_config.json must hold a JSON object");
    const config = (tokenizerConfig ?? {}) as Json;
    // tokenizers.js insists on keys the Rust library treats as optional.
    const json = {
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      ...(tokenizerJson as Json),
    };
    try {
      // Without a config transformers' cleanup (" ." -> ".") would default on in tokenizers.js;
      // the tokenizers library itself never does it, so off unless the config asks.
      this.tok = new Tokenizer(json, { clean_up_tokenization_spaces: false, ...config });
    } catch (err) {
      throw new TokenizerError(file, `cannot build the tokenizer: ${(err as Error).message}`);
    }
    const idOf = (field: string): number | undefined => {
      const name = tokenName(config[field]);
      if (name === undefined) return undefined;
      const id = this.tok.token_to_id(name);
      if (id === undefined)
        throw new TokenizerError(
          file,
          `tokenizer_config field '${field}' names token ${JSON.stringify(name)}, which is not in the vocabulary`,
        );
      return id;
    };
    this.bosId = overrides.bosId ?? idOf("bos_token");
    this.eosId = overrides.eosId ?? idOf("eos_token");
    this.padId = overrides.padId ?? idOf("pad_token");
    let max = -1;
    for (const id of this.tok.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const enc = this.tok.encode(text, { add_special_tokens: options.addSpecialTokens ?? true });
    // A vocabulary without an unknown token yields undefined ids, which would surface later as NaN embeddings.
    const bad = enc.ids.findIndex((id: number) => !Number.isInteger(id));
    if (bad >= 0) {
      throw new Error(
        `encode: token ${bad} of ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)} has no id and the tokenizer has no unk_token`,
      );
    }
    return enc.ids;
  }

  /** Accepts plain arrays or typed arrays (e.g. ids read back from a tensor). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids.length === 0) return "";
    for (const id of Array.from(ids)) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`decode: token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    return this.tok.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /** Encodes rows and pads them to one length; pads with padId, else eosId (as LLaMA/GPT-2 setups do). */
  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    const pad = this.padId ?? this.eosId;
    if (pad === undefined)
      throw new Error(
        "encodeBatch: the tokenizer has no pad_token or eos_token to pad with; pass padId when loading it",
      );
    const { maxLength, padToLength } = options;
    let rows = texts.map((t) => this.encode(t, options));
    if (maxLength !== undefined) {
      if (!(Number.isInteger(maxLength) && maxLength > 0))
        throw new RangeError(`encodeBatch: maxLength must be a positive integer, found ${maxLength}`);
      rows = rows.map((r) =>
        r.length <= maxLength
          ? r
          : options.truncationSide === "left"
            ? r.slice(r.length - maxLength)
            : r.slice(0, maxLength),
      );
    }
    const longest = rows.reduce((a, r) => Math.max(a, r.length), 0);
    const width = padToLength ?? longest;
    if (width < longest)
      throw new RangeError(
        `encodeBatch: padToLength ${width} is shorter than the longest row (${longest} tokens); set maxLength to truncate`,
      );
    const left = options.paddingSide === "left";
    const ids: number[][] = [];
    const attentionMask: number[][] = [];
    for (const r of rows) {
      const fill = new Array<number>(width - r.length);
      ids.push(left ? [...fill.fill(pad), ...r] : [...r, ...fill.fill(pad)]);
      const ones = new Array<number>(r.length).fill(1);
      const zeros = new Array<number>(width - r.length).fill(0);
      attentionMask.push(left ? [...zeros, ...ones] : [...ones, ...zeros]);
    }
    return { ids, attentionMask, lengths: rows.map((r) => r.length) };
  }
}

/**
 * Loads a tokenizer from a folder or a tokenizer.json path; tokenizer_config.json next to it
 * is read when present.
 */
export async function loadTokenizer(path: string, overrides: SpecialIdOverrides = {}): Promise<HfTokenizer> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const file = isDir ? join(path, "tokenizer.json") : path;
  const json = await readJson(file, "tokenizer.json", (f, p) => new TokenizerError(f, p));
  const configPath = join(dirname(file), "tokenizer_config.json");
  const hasConfig = await stat(configPath).then(
    (s) => s.isFile(),
    () => false,
  );
  const config = hasConfig
    ? await readJson(configPath, "tokenizer_config.json", (f, p) => new TokenizerError(f, p))
    : {};
  if (config === null || typeof config !== "object" || Array.isArray(config))
    throw new TokenizerError(configPath, "tokenizer_config.json must hold a JSON object");
  return new HfTokenizer(json, config, file, overrides);
}

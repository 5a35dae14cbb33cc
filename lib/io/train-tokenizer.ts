// Trains a small byte-level BPE tokenizer (GPT-2 style) and writes it as a Hugging Face
// tokenizer.json. Hand-written because no JS library trains HF tokenizers: tokenizers.js only
// loads them, and the Rust `tokenizers` trainer has no maintained JS binding.
//
// Byte-level means every UTF-8 byte is a base token, so any text encodes without an unknown
// token and decodes back exactly. Pre-tokenization is GPT-2's regex (the one tokenizers.js's
// ByteLevel pre-tokenizer applies), so merges never cross the chunk boundaries it uses.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** GPT-2's regex: contractions, letters, digits and other symbols each with an optional leading space, whitespace runs. */
export const BYTE_LEVEL_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's printable stand-in for each byte: printable Latin-1 bytes keep their code point, the rest move to 256+. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(keep(b) ? b : next++));
  return out;
})();

export interface SpecialTokens {
  pad: string;
  bos: string;
  eos: string;
}

export interface TrainBpeOptions {
  /** Total vocabulary: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
  /** Default { pad: "<pad>", bos: "<s>", eos: "</s>" }, given ids 0, 1, 2. */
  specialTokens?: SpecialTokens;
  /** Let the tokenizer prepend BOS on encode (a TemplateProcessing post-processor). Default false. */
  addBosToken?: boolean;
  /** Written to tokenizer_config.json (default 2048). */
  modelMaxLength?: number;
}

export interface TrainedTokenizer {
  /** tokenizer.json contents. */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json contents (special token names, no tokenization-space cleanup). */
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
  merges: number;
}

const DEFAULT_SPECIALS: SpecialTokens = { pad: "<pad>", bos: "<s>", eos: "</s>" };

/** Counts pre-tokenized chunks, each spelled in byte-level characters. */
function countWords(texts: readonly string[]): Map<string, number> {
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(BYTE_LEVEL_PATTERN)) {
      const chunk = m[0];
      counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
    }
  }
  // Convert once per distinct chunk, not per occurrence.
  const out = new Map<string, number>();
  for (const [chunk, n] of counts) {
    let s = "";
    for (const b of enc.encode(chunk)) s += BYTE_TO_CHAR[b];
    out.set(s, (out.get(s) ?? 0) + n);
  }
  return out;
}

const KEY = 65536;

/** Trains on `corpus`; deterministic: the same text and options give the same tokenizer. */
export function trainByteLevelBpe(corpus: string | readonly string[], options: TrainBpeOptions): TrainedTokenizer {
  const specials = options.specialTokens ?? DEFAULT_SPECIALS;
  const specialList = [specials.pad, specials.bos, specials.eos];
  if (new Set(specialList).size !== 3)
    throw new Error(`trainByteLevelBpe: special tokens must differ, found ${JSON.stringify(specials)}`);
  const base = specialList.length + 256;
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < base || vocabSize > KEY) {
    throw new Error(
      `trainByteLevelBpe: vocabSize must be an integer in [${base}, ${KEY}] (3 special tokens + 256 bytes + merges), found ${vocabSize}`,
    );
  }
  const minFrequency = options.minFrequency ?? 2;

  const tokens: string[] = [...specialList, ...BYTE_TO_CHAR];
  const ids = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];

  const wordCounts = countWords(typeof corpus === "string" ? [corpus] : corpus);
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, n] of wordCounts) {
    words.push(Array.from(w, (ch) => ids.get(ch) as number));
    freq.push(n);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1) => {
    const w = words[wi] as number[];
    const f = (freq[wi] as number) * sign;
    for (let i = 0; i + 1 < w.length; i++) {
      const key = (w[i] as number) * KEY + (w[i + 1] as number);
      const c = (pairCount.get(key) ?? 0) + f;
      if (c === 0) pairCount.delete(key);
      else pairCount.set(key, c);
      if (sign === 1) {
        let s = pairWords.get(key);
        if (!s) pairWords.set(key, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);

  while (tokens.length < vocabSize) {
    // Most frequent pair; ties go to the smallest (left id, right id), so training is deterministic.
    let best = -1;
    let bestCount = 0;
    for (const [key, c] of pairCount) {
      if (c > bestCount || (c === bestCount && key < best)) {
        best = key;
        bestCount = c;
      }
    }
    if (best < 0 || bestCount < minFrequency) break;
    const a = Math.floor(best / KEY);
    const b = best % KEY;
    const merged = (tokens[a] as string) + (tokens[b] as string);
    let id = ids.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      ids.set(merged, id);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    // Sets hold stale entries (words that no longer contain the pair); skipping them is cheaper than pruning.
    for (const wi of pairWords.get(best) ?? []) {
      const w = words[wi] as number[];
      let has = false;
      for (let i = 0; i + 1 < w.length; i++)
        if (w[i] === a && w[i + 1] === b) {
          has = true;
          break;
        }
      if (!has) continue;
      addPairs(wi, -1);
      const out: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(w[i] as number);
      }
      words[wi] = out;
      addPairs(wi, 1);
    }
    pairWords.delete(best);
    pairCount.delete(best);
  }

  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  const postProcessor = options.addBosToken
    ? {
        type: "TemplateProcessing",
        single: [{ SpecialToken: { id: specials.bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [
          { SpecialToken: { id: specials.bos, type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: specials.bos, type_id: 1 } },
          { Sequence: { id: "B", type_id: 1 } },
        ],
        special_tokens: { [specials.bos]: { id: specials.bos, ids: [1], tokens: [specials.bos] } },
      }
    : { ...byteLevel, trim_offsets: false };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialList.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: postProcessor,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: specials.bos,
    eos_token: specials.eos,
    pad_token: specials.pad,
    add_bos_token: options.addBosToken ?? false,
    add_eos_token: false,
    // Cleanup would turn " ." into "." and break decode(encode(s)) == s.
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
  };
  return { tokenizer, tokenizerConfig, vocabSize: tokens.length, merges: merges.length };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if needed). */
export async function writeTokenizer(
  dir: string,
  trained: Pick<TrainedTokenizer, "tokenizer" | "tokenizerConfig">,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, value] of [
    ["tokenizer.json", trained.tokenizer],
    ["tokenizer_config.json", trained.tokenizerConfig],
  ] as const) {
    const path = join(dir, name);
    await writeFile(`${path}.tmp-${process.pid}`, `${JSON.stringify(value, null, 2)}\n`);
    await rename(`${path}.tmp-${process.pid}`, path);
  }
  return join(dir, "tokenizer.json");
}

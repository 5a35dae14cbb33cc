// Seeded fine-tuning batches from GSM8K train: the evaluator's prompt (gsm8kPrompt) followed by
// the worked solution (calculator annotations removed) and EOS, with only the solution's tokens
// predicted, as supervised fine-tuning on GSM8K trains. The test split is never read here.
import { loadGsm8k, type Gsm8kExample } from "../data/gsm8k.js";
import { subsample } from "../data/sample.js";
import { gsm8kPrompt, stripCalculatorAnnotations } from "../eval/prompts.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import { shuffledBatches, type BatchSource } from "../train/data.js";
import { padIdOf, padRows, type EncodedRow, type PaddedRows } from "./encode.js";

/** Token rows whose continuation (lmLabels ≠ ignore index) is the predicted part. */
export type LmBatch = PaddedRows;

export interface Gsm8kBatchOptions {
  /** Tokens per row; a long question is cut from the left, a long solution from the right. Default 128. */
  seqLen?: number;
  batchSize?: number;
  seed?: number;
  /** Seeded subsample of the examples; default all. */
  limit?: number;
  /** Default true; false keeps the given order (evaluation). */
  shuffle?: boolean;
  /** Use these examples instead of loading the train split. */
  examples?: Gsm8kExample[];
  /** Data directory (default lib/data's dataDir()). */
  dir?: string;
}

export interface Gsm8kBatchSource extends BatchSource<LmBatch> {
  readonly examples: readonly Gsm8kExample[];
  readonly batchesPerEpoch: number;
}

/**
 * prompt ++ " " solution EOS in at most seqLen tokens. The solution keeps at least half of the row
 * (its start: the reasoning the model should learn to write), the prompt the rest (its end: the
 * question and "Answer:", what the solution follows).
 */
export function encodeGsm8kExample(tokenizer: HfTokenizer, ex: Gsm8kExample, seqLen: number): EncodedRow {
  if (!Number.isInteger(seqLen) || seqLen < 4)
    throw new Error(`GSM8K rows: seqLen must be an integer >= 4, found ${seqLen}`);
  const ctx = tokenizer.encode(gsm8kPrompt(ex.question), { addSpecialTokens: false });
  const answer = tokenizer.encode(` ${stripCalculatorAnnotations(ex.answer).trim()}`, { addSpecialTokens: false });
  const cont = tokenizer.eosId === undefined ? answer : [...answer, tokenizer.eosId];
  const ctxKeep = Math.min(ctx.length, Math.max(seqLen - cont.length, Math.floor(seqLen / 2)));
  const kept = ctx.slice(ctx.length - ctxKeep);
  return { ids: [...kept, ...cont.slice(0, seqLen - ctxKeep)], contStart: kept.length };
}

export function gsm8kBatches(tokenizer: HfTokenizer, options: Gsm8kBatchOptions = {}): Gsm8kBatchSource {
  const seqLen = options.seqLen ?? 128;
  const batchSize = options.batchSize ?? 8;
  const seed = options.seed ?? 0;
  const examples = subsample(options.examples ?? loadGsm8k("train", { dir: options.dir }), options.limit, seed);
  if (examples.length < batchSize)
    throw new Error(
      `gsm8kBatches: ${examples.length} example(s) cannot fill a batch of ${batchSize} (limit ${options.limit ?? "none"})`,
    );
  const rows = examples.map((ex) => encodeGsm8kExample(tokenizer, ex, seqLen));
  const pad = padIdOf(tokenizer);
  const source = shuffledBatches<LmBatch>({
    size: examples.length,
    batchSize,
    seed,
    shuffle: options.shuffle ?? true,
    collate: (idx) =>
      padRows(
        idx.map((i) => rows[i] as EncodedRow),
        pad,
      ),
  });
  return Object.assign(source, { examples, batchesPerEpoch: source.batchesPerEpoch as number });
}

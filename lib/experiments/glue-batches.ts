// Seeded fine-tuning batches for GLUE SST-2/CoLA/MRPC/RTE. Examples are tokenized once; each
// batch is built on demand in the order of lib/train's shuffledBatches (so a checkpoint can
// store the position). "lm" rows are the evaluator's prompt plus the gold label word, with only
// the label tokens predicted; "head" rows are the raw text, pairs joined by EOS.
import * as tf from "@tensorflow/tfjs";
import { GLUE_TASKS, loadGlue, type GlueExample, type GlueSplit, type GlueTask } from "../data/glue.js";
import { subsample } from "../data/sample.js";
import { GLUE_VERBALIZERS, gluePrompt } from "../eval/prompts.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import { shuffledBatches, type BatchSource } from "../train/data.js";
import { encodeContinuation, encodeForHead, padIdOf, padRows, type EncodedRow } from "./encode.js";
import type { ScoringMode } from "./scoring.js";

export interface GlueBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  /** Gold class per row [B]. */
  labels: tf.Tensor1D;
  /** Token labels [B, T] (ignore index except the label word), "lm" mode only. */
  lmLabels?: tf.Tensor2D;
}

export interface GlueBatchOptions {
  /** Default "train". */
  split?: GlueSplit;
  /** Seeded subsample of the split; default all. */
  limit?: number;
  /** Tokens per row at most (prompts are cut from the left, texts from the right); default 64. */
  seqLen?: number;
  batchSize?: number;
  seed?: number;
  /** Default "lm". */
  mode?: ScoringMode;
  /** Default true; false keeps file order (evaluation). */
  shuffle?: boolean;
  /** Use these examples instead of loading the split. */
  examples?: GlueExample[];
  /** Data directory (default lib/data's dataDir()). */
  dir?: string;
}

export interface GlueBatchSource extends BatchSource<GlueBatch> {
  readonly examples: readonly GlueExample[];
  readonly batchesPerEpoch: number;
}

/** Token row of one example: its prompt + label word, or its text for a classification head. */
export function encodeGlueExample(
  tokenizer: HfTokenizer,
  ex: GlueExample,
  mode: ScoringMode,
  seqLen: number,
): EncodedRow {
  if (mode === "head") return encodeForHead(tokenizer, ex.text, ex.textPair, seqLen);
  // Same context and continuation as evaluateGlue + scorerFromLogLikelihood score, so training and evaluation agree.
  return encodeContinuation(tokenizer, gluePrompt(ex), ` ${GLUE_VERBALIZERS[ex.task][ex.label]}`, seqLen);
}

export function glueBatches(task: GlueTask, tokenizer: HfTokenizer, options: GlueBatchOptions = {}): GlueBatchSource {
  if (!GLUE_TASKS.includes(task))
    throw new Error(`glueBatches: unknown GLUE task ${JSON.stringify(task)}; expected one of ${GLUE_TASKS.join(", ")}`);
  const mode = options.mode ?? "lm";
  if (mode !== "lm" && mode !== "head")
    throw new Error(`glueBatches: unknown mode ${JSON.stringify(mode)} (expected "lm" or "head")`);
  const seqLen = options.seqLen ?? 64;
  const batchSize = options.batchSize ?? 8;
  const seed = options.seed ?? 0;
  const all = options.examples ?? loadGlue(task, options.split ?? "train", { dir: options.dir });
  const examples = subsample(all, options.limit, seed);
  if (examples.length < batchSize) {
    throw new Error(
      `glueBatches(${task}): ${examples.length} example(s) cannot fill a batch of ${batchSize} (limit ${options.limit ?? "none"})`,
    );
  }
  const rows = examples.map((ex) => encodeGlueExample(tokenizer, ex, mode, seqLen));
  const pad = padIdOf(tokenizer);
  const source = shuffledBatches<GlueBatch>({
    size: examples.length,
    batchSize,
    seed,
    shuffle: options.shuffle ?? true,
    collate: (idx) => {
      const p = padRows(
        idx.map((i) => rows[i] as EncodedRow),
        pad,
      );
      const labels = tf.tensor1d(
        idx.map((i) => (examples[i] as GlueExample).label),
        "int32",
      );
      if (mode === "lm") return { inputIds: p.inputIds, attentionMask: p.attentionMask, labels, lmLabels: p.lmLabels };
      p.lmLabels.dispose();
      return { inputIds: p.inputIds, attentionMask: p.attentionMask, labels };
    },
  });
  return Object.assign(source, { examples, batchesPerEpoch: source.batchesPerEpoch as number });
}

// Token rows for fine-tuning and scoring: a context followed by a continuation (the label word)
// for LM scoring, or one text (pairs joined by EOS) for a classification head. Both are right-
// padded into [batch, tokens] tensors; LM rows mark which positions are predicted.
import * as tf from "@tensorflow/tfjs";
import type { HfTokenizer } from "../io/tokenizer.js";

/** Token ids of one row and where its scored continuation starts (= ids.length for a classification row). */
export interface EncodedRow {
  ids: number[];
  contStart: number;
}

/** HF's ignore index: positions with this label are not predicted. */
export const IGNORE_INDEX = -100;

/**
 * context ++ continuation, encoded separately (as lm-evaluation-harness does, so the label's
 * tokens do not depend on the prompt). The context is cut from the left to fit maxLength; the
 * continuation is never cut.
 */
export function encodeContinuation(
  tokenizer: HfTokenizer,
  context: string,
  continuation: string,
  maxLength: number,
): EncodedRow {
  const cont = tokenizer.encode(continuation, { addSpecialTokens: false });
  if (cont.length === 0) throw new Error(`continuation ${JSON.stringify(continuation)} encodes to no tokens`);
  if (cont.length >= maxLength)
    throw new Error(
      `continuation ${JSON.stringify(continuation)} has ${cont.length} tokens; maxLength ${maxLength} leaves no room for the context`,
    );
  let ctx = tokenizer.encode(context, { addSpecialTokens: false });
  // The first continuation token must be predicted from something.
  if (ctx.length === 0) {
    if (tokenizer.bosId === undefined)
      throw new Error("empty context and the tokenizer has no BOS token to start from");
    ctx = [tokenizer.bosId];
  }
  ctx = ctx.slice(Math.max(0, ctx.length - (maxLength - cont.length)));
  return { ids: [...ctx, ...cont], contStart: ctx.length };
}

/** text [EOS text2] EOS, cut to maxLength keeping the final EOS the head reads. */
export function encodeForHead(
  tokenizer: HfTokenizer,
  text: string,
  textPair: string | undefined,
  maxLength: number,
): EncodedRow {
  const eos = tokenizer.eosId;
  if (eos === undefined) throw new Error("classification rows end with EOS, but the tokenizer has no EOS token");
  if (maxLength < 2) throw new Error(`maxLength must be at least 2, found ${maxLength}`);
  const a = tokenizer.encode(text, { addSpecialTokens: false });
  const b = textPair === undefined ? [] : [eos, ...tokenizer.encode(textPair, { addSpecialTokens: false })];
  const ids = [...a, ...b].slice(0, maxLength - 1);
  ids.push(eos);
  return { ids, contStart: ids.length };
}

export interface PaddedRows {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  /** Input ids with IGNORE_INDEX everywhere except continuation tokens. */
  lmLabels: tf.Tensor2D;
}

/** Right-pads rows to the longest one. */
export function padRows(rows: readonly EncodedRow[], padId: number): PaddedRows {
  if (rows.length === 0) throw new Error("padRows: no rows");
  const width = Math.max(...rows.map((r) => r.ids.length));
  const ids: number[] = [];
  const mask: number[] = [];
  const labels: number[] = [];
  for (const r of rows) {
    for (let t = 0; t < width; t++) {
      const real = t < r.ids.length;
      ids.push(real ? (r.ids[t] as number) : padId);
      mask.push(real ? 1 : 0);
      labels.push(real && t >= r.contStart ? (r.ids[t] as number) : IGNORE_INDEX);
    }
  }
  const shape: [number, number] = [rows.length, width];
  return {
    inputIds: tf.tensor2d(ids, shape, "int32"),
    attentionMask: tf.tensor2d(mask, shape, "int32"),
    lmLabels: tf.tensor2d(labels, shape, "int32"),
  };
}

export function padIdOf(tokenizer: HfTokenizer): number {
  const pad = tokenizer.padId ?? tokenizer.eosId;
  if (pad === undefined) throw new Error("the tokenizer has neither a pad nor an EOS token to pad batches with");
  return pad;
}

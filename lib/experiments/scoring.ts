// Binds a tfjs model to lib/eval's LabelScorer and TextGenerator interfaces.
//   "lm"   (default): each label word is scored as a continuation of the evaluator's prompt
//          (sum of its token log-probabilities); needs only the causal-LM head, so the untuned
//          base model can be scored exactly like a fine-tuned one.
//   "head": a sequence-classification head's logits over the raw text (pairs joined by EOS);
//          `labels` maps each label word to its head column.
import * as tf from "@tensorflow/tfjs";
import type { HfTokenizer } from "../io/tokenizer.js";
import { scorerFromLogLikelihood } from "../eval/bindings.js";
import type { LabelScorer, LabelScoringInput } from "../eval/interfaces.js";
import type { TransformerModel } from "../models/model.js";
import { encodeContinuation, encodeForHead, padIdOf, padRows } from "./encode.js";
import { checkPooling, classifyPooled, type Pooling } from "./pooling.js";

export type ScoringMode = "lm" | "head";

export interface ScoringOptions {
  mode?: ScoringMode;
  /** Tokens per row (prompts are cut from the left); default 128. */
  maxLength?: number;
  /** Rows per forward pass; default 16. */
  batchSize?: number;
  /** "head" mode: how the head reads the sequence (default "last"). */
  pooling?: Pooling;
}

/** Sum of log p(continuation | context) per pair, in batches. */
export function logLikelihood(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  contexts: readonly string[],
  continuations: readonly string[],
  options: ScoringOptions = {},
): number[] {
  if (contexts.length !== continuations.length)
    throw new Error(`logLikelihood: ${contexts.length} contexts but ${continuations.length} continuations`);
  const maxLength = options.maxLength ?? 128;
  const batchSize = options.batchSize ?? 16;
  const pad = padIdOf(tokenizer);
  const out: number[] = [];
  for (let i = 0; i < contexts.length; i += batchSize) {
    const rows = contexts
      .slice(i, i + batchSize)
      .map((c, j) => encodeContinuation(tokenizer, c, continuations[i + j] as string, maxLength));
    const { logp, width, vocab } = tf.tidy(() => {
      const p = padRows(rows, pad);
      const logits = model.forward(p.inputIds, { attentionMask: p.attentionMask });
      const [, w, v] = logits.shape as [number, number, number];
      return { logp: tf.logSoftmax(logits, -1).dataSync() as Float32Array, width: w, vocab: v };
    });
    rows.forEach((r, b) => {
      let sum = 0;
      // Position t - 1 predicts token t.
      for (let t = r.contStart; t < r.ids.length; t++)
        sum += logp[(b * width + t - 1) * vocab + (r.ids[t] as number)] as number;
      out.push(sum);
    });
  }
  return out;
}

/** Logits of a sequence-classification model for each input's text (and pair). */
export function headLogits(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  inputs: readonly Pick<LabelScoringInput, "text" | "textPair">[],
  options: ScoringOptions = {},
): number[][] {
  const maxLength = options.maxLength ?? 128;
  const batchSize = options.batchSize ?? 16;
  const pad = padIdOf(tokenizer);
  const pooling = checkPooling(options.pooling ?? "last");
  const out: number[][] = [];
  for (let i = 0; i < inputs.length; i += batchSize) {
    const rows = inputs.slice(i, i + batchSize).map((x) => encodeForHead(tokenizer, x.text, x.textPair, maxLength));
    const logits = tf.tidy(() => {
      const p = padRows(rows, pad);
      return classifyPooled(model, p.inputIds, p.attentionMask, pooling).arraySync() as number[][];
    });
    out.push(...logits);
  }
  return out;
}

/**
 * A LabelScorer for `model`. In "lm" mode `labels` are the label words the scorer accepts (the
 * evaluator's verbalizers); in "head" mode labels[i] names head column i.
 */
export function labelScorerFor(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  labels: readonly string[],
  options: ScoringOptions = {},
): LabelScorer {
  const mode = options.mode ?? "lm";
  if (labels.length === 0) throw new Error("labelScorerFor: labels is empty");
  const known = (asked: readonly string[]) => {
    const missing = asked.filter((l) => !labels.includes(l));
    if (missing.length)
      throw new Error(
        `labelScorerFor: asked to score label(s) ${missing.map((l) => JSON.stringify(l)).join(", ")}; this scorer knows ${labels.map((l) => JSON.stringify(l)).join(", ")}`,
      );
  };
  if (mode === "lm") {
    if (model.config.task !== "causal-lm")
      throw new Error(
        `labelScorerFor: mode "lm" needs a causal-LM model, found task '${model.config.task}' (use mode "head")`,
      );
    const inner = scorerFromLogLikelihood(async (ctx, cont) => logLikelihood(model, tokenizer, ctx, cont, options));
    return {
      async scoreLabels(inputs, asked) {
        known(asked);
        return inner.scoreLabels(inputs, asked);
      },
    };
  }
  if (mode !== "head")
    throw new Error(`labelScorerFor: unknown mode ${JSON.stringify(mode)} (expected "lm" or "head")`);
  if (model.config.task !== "sequence-classification")
    throw new Error(
      `labelScorerFor: mode "head" needs a sequence-classification model, found task '${model.config.task}'`,
    );
  if (model.config.numLabels !== labels.length)
    throw new Error(
      `labelScorerFor: the head has ${model.config.numLabels} outputs but ${labels.length} labels were given`,
    );
  return {
    async scoreLabels(inputs, asked) {
      known(asked);
      const logits = headLogits(model, tokenizer, inputs, options);
      return logits.map((row) => asked.map((l) => row[labels.indexOf(l)] as number));
    },
  };
}

// Autoregressive generation for a batch of prompts. Prompts are left-padded to a common
// length so every row's next token sits in the last column; with the KV cache each step runs
// only the new tokens, so the cost per token does not include re-running the prompt.
import * as tf from "@tensorflow/tfjs";
import { KVCache } from "./attention.js";
import { mulberry32 } from "../random/mulberry32.js";
import type { TransformerModel } from "./model.js";
import { sampleToken, type SamplingOptions } from "./sampling.js";

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed?: number;
  /** Stop a row when it produces this id (default: config.eosTokenId; null: never). */
  eosTokenId?: number | null;
  /** Id used to fill padding (default: config.padTokenId ?? 0); it is masked out either way. */
  padTokenId?: number;
  /** Default true. False re-runs the whole sequence each step (for checking the cache). */
  useCache?: boolean;
}

/**
 * Generates up to maxNewTokens after each prompt. Returns the new ids per prompt, ending with
 * the EOS id when one was produced.
 */
export function generate(model: TransformerModel, prompts: number[][], opts: GenerateOptions): number[][] {
  if (prompts.length === 0) return [];
  if (prompts.some((p) => p.length === 0)) throw new Error("generate: every prompt needs at least one token");
  const vocab = model.config.vocabSize;
  for (const p of prompts) {
    const bad = p.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined) throw new Error(`generate: token id ${bad} is outside the vocabulary [0, ${vocab})`);
  }
  const eos = opts.eosTokenId === undefined ? model.config.eosTokenId : opts.eosTokenId;
  const pad = opts.padTokenId ?? model.config.padTokenId ?? 0;
  const rng = mulberry32(opts.seed ?? 0);
  const useCache = opts.useCache ?? true;
  const b = prompts.length;
  const width = Math.max(...prompts.map((p) => p.length));
  // Full token and mask rows (left padding), grown by one column per step.
  const ids = prompts.map((p) => [...new Array<number>(width - p.length).fill(pad), ...p]);
  const mask = prompts.map((p) => [
    ...new Array<number>(width - p.length).fill(0),
    ...new Array<number>(p.length).fill(1),
  ]);
  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(b).fill(false);
  const cache = useCache ? new KVCache(model.config.numLayers) : undefined;
  try {
    let fed = 0; // columns already in the cache
    for (let step = 0; step < opts.maxNewTokens && !done.every(Boolean); step++) {
      const total = ids[0]!.length;
      const from = useCache ? fed : 0;
      const last = tf.tidy(() => {
        const input = tf.tensor2d(
          ids.map((r) => r.slice(from)),
          [b, total - from],
          "int32",
        );
        const attentionMask = tf.tensor2d(mask, [b, total], "int32");
        const logits = model.forward(input, { attentionMask, ...(cache ? { cache } : {}) });
        return logits.slice([0, total - from - 1, 0], [b, 1, vocab]).reshape([b, vocab]);
      });
      const rows = last.dataSync() as Float32Array;
      last.dispose();
      fed = total;
      for (let r = 0; r < b; r++) {
        // Finished rows keep feeding masked padding so the batch stays rectangular.
        if (done[r]) {
          ids[r]!.push(pad);
          mask[r]!.push(0);
          continue;
        }
        const next = sampleToken(rows.subarray(r * vocab, (r + 1) * vocab), opts, rng);
        out[r]!.push(next);
        if (eos !== null && next === eos) done[r] = true;
        ids[r]!.push(next);
        mask[r]!.push(1);
      }
    }
  } finally {
    cache?.dispose();
  }
  return out;
}

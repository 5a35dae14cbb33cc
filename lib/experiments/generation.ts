// Binds a causal-LM model and its tokenizer to lib/eval's TextGenerator.
import type { GenerateOptions, TextGenerator } from "../eval/interfaces.js";
import { truncateAtStop } from "../eval/prompts.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import { generate } from "../models/generate.js";
import type { TransformerModel } from "../models/model.js";

export interface TextGeneratorOptions {
  /** Prompt tokens kept (cut from the left); default model maxPositions − maxTokens. */
  maxPromptTokens?: number;
  /** Prompts per generate() call; default 8. */
  batchSize?: number;
}

export function textGeneratorFor(
  model: TransformerModel,
  tokenizer: HfTokenizer,
  options: TextGeneratorOptions = {},
): TextGenerator {
  if (model.config.task !== "causal-lm")
    throw new Error(`textGeneratorFor: needs a causal-LM model, found task '${model.config.task}'`);
  const batchSize = options.batchSize ?? 8;
  return {
    async generate(prompts: string[], opts: GenerateOptions): Promise<string[]> {
      if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1)
        throw new Error(`generate: maxTokens must be a positive integer, found ${opts.maxTokens}`);
      const keep = options.maxPromptTokens ?? Math.max(1, model.config.maxPositions - opts.maxTokens);
      const out: string[] = [];
      for (let i = 0; i < prompts.length; i += batchSize) {
        const ids = prompts.slice(i, i + batchSize).map((p) => {
          const enc = tokenizer.encode(p, { addSpecialTokens: false });
          const cut = enc.slice(Math.max(0, enc.length - keep));
          return cut.length > 0 ? cut : [tokenizer.bosId ?? tokenizer.eosId ?? 0];
        });
        const gen = generate(model, ids, {
          maxNewTokens: opts.maxTokens,
          temperature: opts.temperature,
          seed: opts.seed + i,
          eosTokenId: tokenizer.eosId ?? null,
        });
        for (const g of gen) {
          const text = tokenizer.decode(g, { skipSpecialTokens: true });
          out.push(opts.stop ? truncateAtStop(text, opts.stop) : text);
        }
      }
      return out;
    },
  };
}

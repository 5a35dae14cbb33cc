// Helpers that bind a language model's primitive to the evaluator interfaces, so notebooks only supply
// "log-likelihood of a continuation" instead of re-implementing label scoring.
import type { LabelScorer } from "./interfaces.js";

/** Sum of log-probabilities of each continuation after its context, one per pair. */
export type LogLikelihoodFn = (contexts: string[], continuations: string[]) => Promise<number[]>;

/**
 * A LabelScorer that scores each label word as a continuation of the prompt (with a leading space,
 * as a word follows a colon or question mark in running text).
 */
export function scorerFromLogLikelihood(logLikelihood: LogLikelihoodFn): LabelScorer {
  return {
    async scoreLabels(inputs, labels) {
      const contexts = inputs.flatMap((x) => labels.map(() => x.prompt));
      const continuations = inputs.flatMap(() => labels.map((l) => ` ${l}`));
      const ll = await logLikelihood(contexts, continuations);
      if (ll.length !== contexts.length)
        throw new Error(`log-likelihood function returned ${ll.length} values for ${contexts.length} pairs`);
      return inputs.map((_, i) => ll.slice(i * labels.length, (i + 1) * labels.length));
    },
  };
}

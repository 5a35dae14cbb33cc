// The seams between evaluators and models: evaluators only see these, so a notebook can bind any
// model (tfjs LLaMA with an adapter, a remote API, a fake in tests) without the evaluators knowing.

export interface GenerateOptions {
  /** Most new tokens per prompt. */
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  seed: number;
  /** Generation may stop at the first of these strings; evaluators also truncate at them. */
  stop?: string[];
}

/** Continues each prompt; returns only the continuation (not the prompt), one per prompt, in order. */
export interface TextGenerator {
  generate(prompts: string[], opts: GenerateOptions): Promise<string[]>;
}

/** One classification input: the rendered prompt and the raw fields, for scorers that want either. */
export interface LabelScoringInput {
  prompt: string;
  text: string;
  textPair?: string;
}

/**
 * Scores every candidate label for every input (higher = more likely), e.g. the log-likelihood of each
 * label word after the prompt, or a classifier head's logits. Returns scores[input][label].
 */
export interface LabelScorer {
  scoreLabels(inputs: LabelScoringInput[], labels: readonly string[]): Promise<number[][]>;
}

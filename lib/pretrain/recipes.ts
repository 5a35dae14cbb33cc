// The pre-training recipes of the self-trained base model, one per scale. Everything that
// changes the produced bytes lives here, so hashing a recipe (plus seed and backend) names
// its cache folder.
import { createHash } from "node:crypto";
import type { GlueTask } from "../data/glue.js";

export type PretrainScale = "smoke" | "small";

export interface DomainCorpus {
  /** GLUE tasks whose train split (never dev) lends its sentences, labels dropped. */
  tasks: GlueTask[];
  /** Characters taken from each task, whole sentences in file order. */
  charsPerTask: number;
}

export interface PretrainRecipe {
  scale: PretrainScale;
  /** Characters of Moby Dick used (the first ones); the last `heldOutFraction` of its tokens are held out. */
  corpusChars: number;
  heldOutFraction: number;
  /** Domain-adaptive text (GLUE train sentences) put before the book; null: Moby Dick only. */
  domain: DomainCorpus | null;
  /** Held-out windows scored for perplexity (the first ones of the held-out span). */
  heldOutWindows: number;
  tokenizer: { vocabSize: number };
  model: { hiddenSize: number; numLayers: number; numHeads: number; numKvHeads: number; intermediateSize: number };
  train: {
    seqLen: number;
    batchSize: number;
    steps: number;
    lr: number;
    warmupSteps: number;
    weightDecay: number;
    clip: number;
  };
}

/**
 * Both corpora are Moby Dick plus the unlabelled train sentences of the four GLUE tasks
 * (domain-adaptive pre-training, docs/reproductions.md): the held-out span stays the book's end.
 * Sizes fit the budgets on two shared CPU cores with the wasm backend (docs/reproductions.md):
 * smoke pre-trains in seconds for CI, small in a few minutes and is what notebooks fine-tune.
 */
export const RECIPES: Record<PretrainScale, PretrainRecipe> = {
  smoke: {
    scale: "smoke",
    corpusChars: 150_000,
    heldOutFraction: 0.05,
    domain: { tasks: ["sst2", "cola", "mrpc", "rte"], charsPerTask: 25_000 },
    heldOutWindows: 16,
    tokenizer: { vocabSize: 384 },
    model: { hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 172 },
    train: { seqLen: 32, batchSize: 8, steps: 40, lr: 3e-3, warmupSteps: 4, weightDecay: 0.01, clip: 1 },
  },
  small: {
    scale: "small",
    corpusChars: 300_000,
    heldOutFraction: 0.05,
    domain: { tasks: ["sst2", "cola", "mrpc", "rte"], charsPerTask: 150_000 },
    heldOutWindows: 32,
    tokenizer: { vocabSize: 768 },
    model: { hiddenSize: 96, numLayers: 3, numHeads: 4, numKvHeads: 2, intermediateSize: 256 },
    train: { seqLen: 64, batchSize: 8, steps: 600, lr: 3e-3, warmupSteps: 30, weightDecay: 0.01, clip: 1 },
  },
};

/** Bumped when the pipeline changes in a way that changes its output for the same recipe. */
export const PIPELINE_VERSION = 2;

export function recipeFor(scale: string): PretrainRecipe {
  const r = RECIPES[scale as PretrainScale];
  if (!r)
    throw new Error(
      `ensureBaseModel: unknown scale ${JSON.stringify(scale)} (expected ${Object.keys(RECIPES)
        .map((s) => JSON.stringify(s))
        .join(" or ")})`,
    );
  return r;
}

/** JSON with sorted keys, so the hash does not depend on property order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The cache key: `<scale>-s<seed>-<backend>-<hash of recipe, seed, backend, pipeline version>`. */
export function recipeKey(recipe: PretrainRecipe, seed: number, backend: string): string {
  const hash = createHash("sha256")
    .update(canonical({ recipe, seed, backend, version: PIPELINE_VERSION }))
    .digest("hex")
    .slice(0, 16);
  return `${recipe.scale}-s${seed}-${backend}-${hash}`;
}

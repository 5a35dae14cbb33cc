// The pre-training recipes of the self-trained base model, one per scale. Everything that
// changes the produced bytes lives here, so hashing a recipe (plus seed and backend) names
// its cache folder.
import { createHash } from "node:crypto";
import type { GlueTask } from "../data/glue.js";
import { canonicalJson } from "../io/canonical-json.js";

export type PretrainScale = "smoke" | "small";

export interface DomainCorpus {
  /** GLUE tasks whose train split (never dev) lends its sentences, labels dropped. */
  tasks: GlueTask[];
  /** Characters taken from each task, whole sentences in file order. */
  charsPerTask: number;
}

/** One source of the pre-training corpus (lib/pretrain/sources.ts); each keeps its own held-out end. */
export type CorpusSource =
  | { source: "moby-dick"; maxChars: number }
  | { source: "sotu"; maxChars: number }
  | ({ source: "glue" } & DomainCorpus)
  | { source: "gsm8k"; maxChars: number }
  | { source: "python-stdlib"; maxChars: number };

export interface PretrainRecipe {
  scale: PretrainScale;
  /** The corpus, part by part; the last `heldOutFraction` of each part's characters is held out. */
  corpus: CorpusSource[];
  heldOutFraction: number;
  /** Held-out windows scored per part for perplexity (the first ones of each held-out span). */
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
  /**
   * Native-backend threads the shipped build ran with: its bytes repeat only on the same backend,
   * thread count and OpenBLAS kernels (docs/models.md, determinism). Null: whatever is active.
   */
  threads: number | null;
}

const GLUE_ALL: GlueTask[] = ["sst2", "cola", "mrpc", "rte"];

/**
 * smoke pre-trains in seconds on the fly for CI. small is the shipped base model
 * (models/base-small, docs/models.md "The shipped base model"): pre-trained once on the native
 * backend at two threads, then loaded from the repository; rebuilt by `peft-nb pretrain`.
 */
export const RECIPES: Record<PretrainScale, PretrainRecipe> = {
  smoke: {
    scale: "smoke",
    corpus: [
      { source: "glue", tasks: GLUE_ALL, charsPerTask: 25_000 },
      { source: "moby-dick", maxChars: 150_000 },
    ],
    heldOutFraction: 0.05,
    heldOutWindows: 4,
    tokenizer: { vocabSize: 384 },
    model: { hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, intermediateSize: 172 },
    train: { seqLen: 32, batchSize: 8, steps: 40, lr: 3e-3, warmupSteps: 4, weightDecay: 0.01, clip: 1 },
    threads: null,
  },
  small: {
    scale: "small",
    corpus: [
      { source: "glue", tasks: GLUE_ALL, charsPerTask: 1_000_000 },
      { source: "moby-dick", maxChars: 1_300_000 },
      { source: "sotu", maxChars: 1_500_000 },
      { source: "gsm8k", maxChars: 1_200_000 },
      { source: "python-stdlib", maxChars: 600_000 },
    ],
    heldOutFraction: 0.02,
    heldOutWindows: 16,
    tokenizer: { vocabSize: 4096 },
    model: { hiddenSize: 256, numLayers: 4, numHeads: 4, numKvHeads: 4, intermediateSize: 688 },
    train: { seqLen: 128, batchSize: 16, steps: 1200, lr: 2e-3, warmupSteps: 40, weightDecay: 0.01, clip: 1 },
    threads: 2,
  },
};

/** Bumped when the pipeline changes in a way that changes its output for the same recipe. */
export const PIPELINE_VERSION = 3;

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

/** The cache key: `<scale>-s<seed>-<backend>-<hash of recipe, seed, backend, pipeline version>`. */
export function recipeKey(recipe: PretrainRecipe, seed: number, backend: string): string {
  const hash = createHash("sha256")
    .update(canonicalJson({ recipe, seed, backend, version: PIPELINE_VERSION }))
    .digest("hex")
    .slice(0, 16);
  return `${recipe.scale}-s${seed}-${backend}-${hash}`;
}

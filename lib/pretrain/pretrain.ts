// Pre-trains the base model from scratch: a byte-level BPE tokenizer and a small LLaMA-family
// model, both trained on the public-domain Moby Dick text plus unlabelled GLUE train sentences
// (domain-adaptive pre-training), saved as a Hugging Face folder.
import * as tf from "@tensorflow/tfjs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadTokenizer } from "../io/tokenizer.js";
import { trainByteLevelBpe, writeTokenizer } from "../io/train-tokenizer.js";
import { saveModel } from "../models/pretrained.js";
import { makeConfig } from "../models/config.js";
import { createModel } from "../models/create.js";
import { causalLmLoss } from "../models/loss.js";
import { shuffledBatches } from "../train/data.js";
import { fullFineTuning } from "../train/full.js";
import { train } from "../train/trainer.js";
import { splitCorpus } from "./corpus.js";
import { pretrainText } from "./domain.js";
import { meanLmLoss } from "./perplexity.js";
import type { PretrainRecipe } from "./recipes.js";

export const PRETRAIN_REPORT_FILE = "pretrain.json";

export interface PretrainReport {
  key: string;
  scale: string;
  seed: number;
  backend: string;
  recipe: PretrainRecipe;
  vocabSize: number;
  parameters: number;
  corpusTokens: number;
  /** Characters of domain (GLUE train) text and of Moby Dick in the corpus. */
  domainChars: number;
  bookChars: number;
  trainWindows: number;
  heldOutWindows: number;
  /** Held-out mean next-token loss (nats) of the random init and of the trained model. */
  lossBefore: number;
  lossAfter: number;
  perplexityBefore: number;
  perplexityAfter: number;
  /** Training loss per step. */
  losses: number[];
  tokenizerSeconds: number;
  trainSeconds: number;
  totalSeconds: number;
  /** Process CPU time of the whole build (wall time inflates when the cores are shared). */
  cpuSeconds: number;
}

export interface PretrainOptions {
  key: string;
  /** Progress bar on the display sink (default false). */
  progress?: boolean;
  /** GLUE data directory for the domain text (default lib/data's dataDir()). */
  dataDir?: string;
}

/** Writes tokenizer.json, config.json, model.safetensors and pretrain.json into `dir`. */
export async function pretrainBaseModel(
  dir: string,
  recipe: PretrainRecipe,
  seed: number,
  options: PretrainOptions,
): Promise<PretrainReport> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { text, domainChars, bookChars } = pretrainText(recipe, options.dataDir);
  await writeTokenizer(dir, trainByteLevelBpe(text, { vocabSize: recipe.tokenizer.vocabSize }));
  const tokenizer = await loadTokenizer(dir);
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  const tokenizerSeconds = (performance.now() - t0) / 1000;
  const { seqLen, batchSize } = recipe.train;
  const corpus = splitCorpus(ids, seqLen, recipe.heldOutFraction);
  const heldOut = corpus.heldOut.slice(0, recipe.heldOutWindows);

  const config = makeConfig({
    family: "llama",
    vocabSize: tokenizer.vocabSize,
    ...recipe.model,
    maxPositions: 512,
    tieWordEmbeddings: true,
    bosTokenId: tokenizer.bosId ?? null,
    eosTokenId: tokenizer.eosId ?? null,
    padTokenId: tokenizer.padId ?? null,
  });
  const model = createModel(config, { seed });
  try {
    const lossBefore = meanLmLoss(model, heldOut);
    const t1 = performance.now();
    const result = await train<tf.Tensor2D>({
      trainable: fullFineTuning(model),
      loss: (batch) => causalLmLoss(model.forward(batch), batch),
      data: shuffledBatches({
        size: corpus.train.length,
        batchSize,
        seed,
        collate: (idx) =>
          tf.tensor2d(
            idx.flatMap((i) => corpus.train[i]!),
            [idx.length, seqLen],
            "int32",
          ),
      }),
      steps: recipe.train.steps,
      optimizer: { kind: "adamw", lr: recipe.train.lr, weightDecay: recipe.train.weightDecay },
      schedule: { kind: "cosine", warmupSteps: recipe.train.warmupSteps },
      clip: recipe.train.clip,
      seed,
      progress: options.progress ? { label: `pre-training ${recipe.scale} base model` } : false,
      name: "pretrain",
    });
    const trainSeconds = (performance.now() - t1) / 1000;
    const lossAfter = meanLmLoss(model, heldOut);
    await saveModel(model, dir);
    const report: PretrainReport = {
      key: options.key,
      scale: recipe.scale,
      seed,
      backend: tf.getBackend(),
      recipe,
      vocabSize: tokenizer.vocabSize,
      parameters: model.parameterCount(),
      corpusTokens: ids.length,
      domainChars,
      bookChars,
      trainWindows: corpus.train.length,
      heldOutWindows: heldOut.length,
      lossBefore,
      lossAfter,
      perplexityBefore: Math.exp(lossBefore),
      perplexityAfter: Math.exp(lossAfter),
      losses: result.losses,
      tokenizerSeconds,
      trainSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      cpuSeconds: cpuSecondsSince(cpu0),
    };
    await writeFile(join(dir, PRETRAIN_REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    model.dispose();
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

// Pre-trains the base model from scratch: a byte-level BPE tokenizer and a small LLaMA-family
// model, both trained on the recipe's corpus parts (sources.ts) with each part's end held out,
// saved as a Hugging Face folder.
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
import { tokenWindows } from "./corpus.js";
import { meanLmLoss } from "./perplexity.js";
import type { PretrainRecipe } from "./recipes.js";
import { corpusParts, fingerprintPart, holdOutEnd, type CorpusPartFingerprint } from "./sources.js";

export const PRETRAIN_REPORT_FILE = "pretrain.json";

/** What the bytes of a build depend on beyond the recipe (docs/models.md, determinism). */
export interface BuildEnvironment {
  backend: string;
  /** Native-backend threads; null on other backends. */
  threads: number | null;
  /** The backend's own description, e.g. the OpenBLAS version and kernel type. */
  detail: string | null;
  node: string;
  tfjs: string;
  /** Debian version of the package the python-stdlib part reads, when the recipe uses it. */
  pythonStdlib: string | null;
}

export interface PartReport extends CorpusPartFingerprint {
  trainTokens: number;
  heldOutTokens: number;
  heldOutWindows: number;
  lossBefore: number;
  lossAfter: number;
}

export interface PretrainReport {
  key: string;
  scale: string;
  seed: number;
  backend: string;
  environment: BuildEnvironment | null;
  recipe: PretrainRecipe;
  vocabSize: number;
  parameters: number;
  /** Every part's fingerprint and held-out losses (nats): a rebuild on a different corpus shows here first. */
  parts: PartReport[];
  trainTokens: number;
  trainWindows: number;
  /** Tokens the optimiser saw: steps x batch x sequence length. */
  tokensSeen: number;
  /** Held-out mean next-token loss (nats) over the parts (each part weighs the same), and its exponential. */
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
  /** GLUE and GSM8K data directory (default lib/data's dataDir()). */
  dataDir?: string;
  /** Recorded in the report (the `peft-nb pretrain` build passes its backend choice). */
  environment?: BuildEnvironment;
  /** Durable checkpoints every `every` steps; a rerun with the same folder resumes from the newest. */
  checkpoint?: { dir: string; every: number };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Writes tokenizer.json, tokenizer_config.json, config.json, model.safetensors and pretrain.json into `dir`. */
export async function pretrainBaseModel(
  dir: string,
  recipe: PretrainRecipe,
  seed: number,
  options: PretrainOptions,
): Promise<PretrainReport> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const parts = corpusParts(recipe.corpus, options.dataDir).map((p) => ({
    ...p,
    ...holdOutEnd(p.text, recipe.heldOutFraction),
  }));
  await writeTokenizer(
    dir,
    trainByteLevelBpe(
      parts.map((p) => p.train),
      { vocabSize: recipe.tokenizer.vocabSize },
    ),
  );
  const tokenizer = await loadTokenizer(dir);
  const { seqLen, batchSize } = recipe.train;
  const encoded = parts.map((p) => {
    const trainIds = tokenizer.encode(p.train, { addSpecialTokens: false });
    const heldOutIds = tokenizer.encode(p.heldOut, { addSpecialTokens: false });
    const heldOut = tokenWindows(heldOutIds, seqLen).slice(0, recipe.heldOutWindows);
    if (heldOut.length === 0)
      throw new Error(
        `corpus part ${p.name}: its held-out end (${heldOutIds.length} tokens) is shorter than one window of ${seqLen} tokens; raise the part's budget or heldOutFraction`,
      );
    return { trainIds, heldOutIds, heldOut, windows: tokenWindows(trainIds, seqLen) };
  });
  const windows = encoded.flatMap((e) => e.windows);
  const tokenizerSeconds = (performance.now() - t0) / 1000;

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
    const before = encoded.map((e) => meanLmLoss(model, e.heldOut));
    const t1 = performance.now();
    const result = await train<tf.Tensor2D>({
      trainable: fullFineTuning(model),
      loss: (batch) => causalLmLoss(model.forward(batch), batch),
      data: shuffledBatches({
        size: windows.length,
        batchSize,
        seed,
        collate: (idx) =>
          tf.tensor2d(
            idx.flatMap((i) => windows[i]!),
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
      ...(options.checkpoint ? { checkpoint: { ...options.checkpoint, keepLast: 2 }, resume: true } : {}),
    });
    const trainSeconds = (performance.now() - t1) / 1000;
    const after = encoded.map((e) => meanLmLoss(model, e.heldOut));
    await saveModel(model, dir);
    const lossBefore = mean(before);
    const lossAfter = mean(after);
    const report: PretrainReport = {
      key: options.key,
      scale: recipe.scale,
      seed,
      backend: tf.getBackend(),
      environment: options.environment ?? null,
      recipe,
      vocabSize: tokenizer.vocabSize,
      parameters: model.parameterCount(),
      parts: parts.map((p, i) => ({
        ...fingerprintPart(p),
        trainTokens: encoded[i]!.trainIds.length,
        heldOutTokens: encoded[i]!.heldOutIds.length,
        heldOutWindows: encoded[i]!.heldOut.length,
        lossBefore: before[i]!,
        lossAfter: after[i]!,
      })),
      trainTokens: encoded.reduce((n, e) => n + e.trainIds.length, 0),
      trainWindows: windows.length,
      tokensSeen: recipe.train.steps * batchSize * seqLen,
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

// A sequence-classification model from a causal-LM base: same backbone weights, a new
// "score" head [numLabels, hidden] initialised from the seed (as transformers does when it
// loads a causal-LM checkpoint into *ForSequenceClassification).
import { LlamaModel } from "../models/llama.js";
import { Gpt2Model } from "../models/gpt2.js";
import type { TransformerModel } from "../models/model.js";

export function withClassificationHead(base: TransformerModel, numLabels: number, seed: number): TransformerModel {
  if (!Number.isInteger(numLabels) || numLabels < 2)
    throw new Error(`withClassificationHead: numLabels must be an integer >= 2, found ${numLabels}`);
  const config = { ...base.config, task: "sequence-classification" as const, numLabels };
  // In-memory layout already, so GPT-2 Conv1D weights need no transpose here.
  const values = new Map<string, Float32Array>();
  for (const [name, v] of base.namedParameters()) values.set(name, v.dataSync() as Float32Array);
  return config.family === "llama" ? new LlamaModel(config, values, { seed }) : new Gpt2Model(config, values, { seed });
}

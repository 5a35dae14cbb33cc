// Shared set-up: the smoke base model from the project cache (built once, ~10 s) on wasm.
import { useBackend } from "../../lib/backend/index.js";
import { loadTokenizer, type HfTokenizer } from "../../lib/io/index.js";
import { loadModel, type TransformerModel } from "../../lib/models/index.js";
import { ensureBaseModel } from "../../lib/pretrain/index.js";

export async function smokeBase(): Promise<string> {
  // wasm: the learning-signal budgets (docs/reproductions.md) were measured on its numbers, and the SST-2
  // head-accuracy margin (two dev examples) does not survive the different float rounding of a native run.
  await useBackend("wasm");
  return ensureBaseModel({ scale: "smoke", seed: 0 });
}

export async function loadSmoke(): Promise<{ dir: string; model: TransformerModel; tokenizer: HfTokenizer }> {
  const dir = await smokeBase();
  return { dir, model: await loadModel(dir), tokenizer: await loadTokenizer(dir) };
}

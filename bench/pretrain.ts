// Time and held-out perplexity of pre-training the base model from scratch (a fresh cache
// folder, so it always builds). CPU seconds are printed beside wall time: on shared cores
// wall time mostly measures the neighbours.
// Run: node --import ./test/train/fixtures/ts-register.mjs bench/pretrain.ts [--scale smoke|small] [--seed 0] [--backend auto|native|wasm|cpu]
//   or: npm run build && node dist/bench/pretrain.js
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { useBackend } from "../lib/backend/index.js";
import { ensureBaseModel, readPretrainReport, type PretrainScale } from "../lib/pretrain/index.js";

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "smoke" },
    seed: { type: "string", default: "0" },
    backend: { type: "string", default: "auto" },
    keep: { type: "boolean", default: false },
  },
});

const backend = await useBackend(values.backend);
const cacheDir = mkdtempSync(join(tmpdir(), "bench-pretrain-"));
try {
  const dir = await ensureBaseModel({
    scale: values.scale as PretrainScale,
    seed: Number(values.seed),
    cacheDir,
    progress: false,
    shipped: false,
  });
  const r = await readPretrainReport(dir);
  const t = r.recipe.train;
  console.log(`scale ${r.scale}, seed ${r.seed}, backend ${backend.name}`);
  console.log(
    `model: llama d${r.recipe.model.hiddenSize} L${r.recipe.model.numLayers} heads ${r.recipe.model.numHeads}/${r.recipe.model.numKvHeads} ffn ${r.recipe.model.intermediateSize}, vocab ${r.vocabSize}, ${r.parameters} parameters`,
  );
  console.log(
    `data: ${r.trainTokens} train tokens in ${r.trainWindows} windows of ${t.seqLen}; ${t.steps} steps x ${t.batchSize} rows = ${r.tokensSeen} tokens seen`,
  );
  console.log(
    `time: tokenizer ${r.tokenizerSeconds.toFixed(1)} s, training ${r.trainSeconds.toFixed(1)} s (${(r.tokensSeen / r.trainSeconds).toFixed(0)} tokens/s), total ${r.totalSeconds.toFixed(1)} s wall, ${r.cpuSeconds.toFixed(1)} s CPU`,
  );
  for (const p of r.parts)
    console.log(
      `held-out ${p.name} (${p.heldOutWindows} windows): perplexity ${Math.exp(p.lossBefore).toFixed(1)} -> ${Math.exp(p.lossAfter).toFixed(1)}`,
    );
  console.log(
    `held-out mean over parts: perplexity ${r.perplexityBefore.toFixed(1)} -> ${r.perplexityAfter.toFixed(1)}`,
  );
  if (values.keep) console.log(`kept: ${dir}`);
} finally {
  if (!values.keep) rmSync(cacheDir, { recursive: true, force: true });
}

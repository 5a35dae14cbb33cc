// Per-method training-step time and peak tensor memory as ratios to full fine-tuning, on random
// LLaMA models in two regimes (lib/reproduce/resource-regime.ts): activation-dominated, and
// weight-dominated as the paper's large-model measurements (the hybrid about 2.1x faster and about
// 50% lower peak memory than full fine-tuning). The resources notebook reports the same numbers.
// Run: node --import ./test/train/fixtures/ts-register.mjs bench/train.ts [--steps N] [--regimes paper]
//   or: npm run build && node dist/bench/train.js
import { parseArgs } from "node:util";
import { useBackend } from "../lib/backend/index.js";
import { TRAINED_METHODS } from "../lib/experiments/methods.js";
import { tableToMarkdown } from "../lib/plots/table.js";
import { resourceClaimTable } from "../lib/reproduce/claims.js";
import {
  measureResources,
  RESOURCE_REGIMES,
  regimeTable,
  type ResourceRegimeName,
} from "../lib/reproduce/resource-regime.js";
import { resourceRows, resourceTable } from "../lib/reproduce/tables.js";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "6" },
    backend: { type: "string" },
    methods: { type: "string", default: TRAINED_METHODS.join(",") },
    regimes: { type: "string", default: "activations,paper-smoke" },
  },
});

const backend = await useBackend(args.backend);
console.log(
  `backend ${backend.name} (${backend.reason}); ${args.steps} steps per method, first excluded from step time`,
);
for (const name of args.regimes!.split(",")) {
  if (!(name in RESOURCE_REGIMES))
    throw new Error(`--regimes: no regime '${name}'; there are ${Object.keys(RESOURCE_REGIMES).join(", ")}`);
  const model = RESOURCE_REGIMES[name as ResourceRegimeName];
  const methods = args.methods!.split(",");
  const runs = await measureResources({ model, methods, steps: Number(args.steps), progress: false });
  const rows = resourceRows(
    runs,
    runs.map((r) => r.method),
  );
  console.log(`\n### ${model.label} (batch ${model.batch} × ${model.seq} tokens)\n`);
  console.log(tableToMarkdown(regimeTable(model, runs)));
  console.log(`\n${tableToMarkdown(resourceTable(rows))}`);
  console.log(`\n${tableToMarkdown(resourceClaimTable(rows.filter((r) => r.method !== "full")))}`);
  console.log(`\nfinal loss: ${runs.map((r) => `${r.method} ${r.finalLoss.toFixed(4)}`).join(", ")}`);
}

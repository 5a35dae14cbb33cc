// Per-method training-step time and peak tensor memory as ratios to full fine-tuning, on two
// random LLaMA sizes: the efficiency comparison of the paper (which reports the hybrid at
// about 2.1x faster and about 50% lower peak memory than full fine-tuning on real models).
// Run: node --import ./test/train/fixtures/ts-register.mjs bench/train.ts [--steps N] [--backend wasm]
//   or: npm run build && node dist/bench/train.js
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { ADAPTER_METHOD_NAMES, adapterMethod, attach, type AttachOptions } from "../lib/adapters/index.js";
import { useBackend } from "../lib/backend/index.js";
import { TRAINED_METHODS } from "../lib/experiments/methods.js";
import { causalLmLoss, createModel, makeConfig, type ModelConfig, type TransformerModel } from "../lib/models/index.js";
import { tableToMarkdown } from "../lib/plots/table.js";
import { resourceRows, resourceTable, type ResourceRun } from "../lib/reproduce/tables.js";
import { shuffledBatches } from "../lib/train/data.js";
import { fullFineTuning } from "../lib/train/full.js";
import { train, type Trainable } from "../lib/train/trainer.js";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "6" },
    backend: { type: "string" },
    methods: { type: "string", default: TRAINED_METHODS.join(",") },
    sizes: { type: "string", default: "0,1" },
  },
});

interface Size {
  label: string;
  config: ModelConfig;
  batch: number;
  seq: number;
}

const SIZES: Size[] = [
  {
    label: "d64 L2",
    config: makeConfig({
      family: "llama",
      vocabSize: 512,
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      intermediateSize: 172,
    }),
    batch: 4,
    seq: 64,
  },
  // Wider with a short batch: weights and optimiser state, not activations, dominate memory,
  // the regime of the paper's large-model measurements.
  {
    label: "d256 L4",
    config: makeConfig({
      family: "llama",
      vocabSize: 1024,
      hiddenSize: 256,
      numLayers: 4,
      numHeads: 8,
      numKvHeads: 4,
      intermediateSize: 688,
    }),
    batch: 2,
    seq: 32,
  },
];

// Attention and MLP projections, as the paper adapts them; embeddings and head stay frozen.
const targets = /(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$/;

function randomTokens(size: Size, seed: number) {
  return shuffledBatches({
    size: 64,
    batchSize: size.batch,
    seed,
    collate: (idx) =>
      tf.tensor2d(
        idx.flatMap((i) => Array.from({ length: size.seq }, (_, t) => (i * 7919 + t * 104729) % size.config.vocabSize)),
        [idx.length, size.seq],
        "int32",
      ),
  });
}

const loss = (m: TransformerModel, ids: tf.Tensor2D) => tf.tidy(() => causalLmLoss(m.forward(ids), ids));

/** Every method with its attach() defaults (full fine-tuning trains every weight); LoRA-GA and the hybrid get a gradient estimate. */
function trainableFor(name: string, size: Size, m: TransformerModel): Trainable & { detach?(): void } {
  if (name === "full") return fullFineTuning(m);
  if (!ADAPTER_METHOD_NAMES.includes(name as never))
    throw new Error(`--methods: unknown method '${name}'; expected some of ${TRAINED_METHODS.join(",")}`);
  const d = randomTokens(size, 99);
  const estimate = { loss: (b: tf.Tensor2D) => loss(m, b), batches: [d.next(), d.next()], samples: 2 * size.batch };
  return attach(m, {
    method: name,
    targets,
    ...(adapterMethod(name).gradientInit ? { estimate } : {}),
  } as AttachOptions);
}

/** One method trained on a fresh model (the same seed for all), then released. */
async function runOne(name: string, size: Size): Promise<ResourceRun & { finalLoss: number }> {
  const model = createModel(size.config, { seed: 0 });
  const trainable = trainableFor(name, size, model);
  try {
    const r = await train<tf.Tensor2D>({
      trainable,
      loss: (b) => loss(model, b),
      data: randomTokens(size, 1),
      steps: Number(args.steps),
      optimizer: { kind: "adamw", lr: 1e-3 },
      progress: { label: name },
      name,
    });
    return { method: name as ResourceRun["method"], resources: r.resources, finalLoss: r.losses.at(-1) as number };
  } finally {
    trainable.detach?.();
    model.dispose();
  }
}

function raise(message: string): never {
  throw new Error(message);
}

const backend = await useBackend(args.backend);
console.log(
  `backend ${backend.name} (${backend.reason}); ${args.steps} steps per method, first excluded from step time`,
);
for (const size of args
  .sizes!.split(",")
  .map((i) => SIZES[Number(i)] ?? raise(`--sizes: no size ${i}; there are ${SIZES.length}`))) {
  const methods = args.methods!.split(",");
  // Ratios are to full fine-tuning, so it always runs (first).
  const names = ["full", ...methods.filter((n) => n !== "full")];
  const runs = [];
  for (const name of names) runs.push(await runOne(name, size));
  console.log(`\n### ${size.label} (batch ${size.batch} × ${size.seq} tokens)\n`);
  console.log(tableToMarkdown(resourceTable(resourceRows(runs, names))));
  console.log(`\nfinal loss: ${runs.map((r) => `${r.method} ${r.finalLoss.toFixed(4)}`).join(", ")}`);
}

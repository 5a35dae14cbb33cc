// Per-method training-step time and peak tensor memory as ratios to full fine-tuning, on two
// random LLaMA sizes: the efficiency comparison of the paper (which reports the hybrid at
// about 2.1x faster and about 50% lower peak memory than full fine-tuning on real models).
// Run: node --import ./test/train/fixtures/ts-register.mjs bench/train.ts [--steps N] [--backend wasm]
//   or: npm run build && node dist/bench/train.js
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { attach, type AttachOptions } from "../lib/adapters/index.js";
import { useBackend } from "../lib/backend/index.js";
import { causalLmLoss, createModel, makeConfig, type ModelConfig, type TransformerModel } from "../lib/models/index.js";
import { compareMethods, comparisonMarkdown, type MethodSpec } from "../lib/train/compare.js";
import { shuffledBatches } from "../lib/train/data.js";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "6" },
    backend: { type: "string" },
    methods: { type: "string", default: "full,lora,boft,loraga,urnn,hybrid" },
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

function methods(size: Size): MethodSpec<TransformerModel>[] {
  const estimate = (m: TransformerModel) => {
    const d = randomTokens(size, 99);
    return { loss: (b: tf.Tensor2D) => loss(m, b), batches: [d.next(), d.next()], samples: 2 * size.batch };
  };
  const all: Record<string, (m: TransformerModel) => AttachOptions> = {
    lora: () => ({ method: "lora", targets, r: 8, alpha: 16 }),
    boft: () => ({ method: "boft", targets, blockSize: 4 }),
    loraga: (m) => ({ method: "loraga", targets, r: 8, alpha: 16, estimate: estimate(m) }),
    urnn: () => ({ method: "urnn", targets }),
    hybrid: (m) => ({ method: "hybrid", targets, r: 8, alpha: 16, blockSize: 4, estimate: estimate(m) }),
  };
  return args
    .methods!.split(",")
    .filter((n) => n !== "full")
    .map((name) => {
      const opts = all[name];
      if (!opts)
        throw new Error(`--methods: unknown method '${name}'; expected some of full,${Object.keys(all).join(",")}`);
      return { name, makeTrainable: (m: TransformerModel) => attach(m, opts(m)) };
    });
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
  const rows = await compareMethods<TransformerModel, tf.Tensor2D>({
    methods: methods(size),
    makeModel: () => createModel(size.config, { seed: 0 }),
    makeData: () => randomTokens(size, 1),
    loss,
    steps: Number(args.steps),
    optimizer: { kind: "adamw", lr: 1e-3 },
  });
  console.log(`\n### ${size.label} (batch ${size.batch} × ${size.seq} tokens)\n`);
  console.log(comparisonMarkdown(rows));
}

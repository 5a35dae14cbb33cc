// Step time and peak tensor memory of each adapter method against full fine-tuning on the same
// random LLaMA model (attention projections targeted), one Adam step = forward + backward +
// gate update + apply. BOFT's target is ≤ 1.5× LoRA's step.
// Run: npm run build && node dist/bench/adapters.js [--iters 5] [--backend auto|native|wasm|cpu] [--size d128] [--only lora,boft]
//   [--targets attention|all]
// `--size small --targets all` is the `small` reproduction's training step (d256, batch 16×48, every projection).
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import {
  ADAPTER_METHOD_NAMES,
  adapterMethod,
  attach,
  type AttachOptions,
  type Attachment,
} from "../lib/adapters/index.js";
import { UrnnLayer } from "../lib/adapters/urnn/layer.js";
import { useBackend } from "../lib/backend/index.js";
import { causalLmLoss, createModel, makeConfig, type ModelConfig } from "../lib/models/index.js";

const { values } = parseArgs({
  options: {
    iters: { type: "string", default: "5" },
    backend: { type: "string", default: "auto" },
    size: { type: "string", default: "d128" },
    /** Comma-separated label prefixes to run, e.g. "lora,urnn" (full fine-tuning always runs). */
    only: { type: "string", default: "" },
    /** attention: q/k/v/o; all: every projection (the reproductions' default targets). */
    targets: { type: "string", default: "attention" },
  },
});

const SIZES: Record<string, { config: ModelConfig; batch: number; seq: number }> = {
  d64: {
    config: makeConfig({
      family: "llama",
      vocabSize: 512,
      hiddenSize: 64,
      numLayers: 2,
      numHeads: 4,
      intermediateSize: 172,
    }),
    batch: 4,
    seq: 64,
  },
  d128: {
    config: makeConfig({
      family: "llama",
      vocabSize: 1024,
      hiddenSize: 128,
      numLayers: 4,
      numHeads: 4,
      intermediateSize: 344,
    }),
    batch: 4,
    seq: 64,
  },
  d256: {
    config: makeConfig({
      family: "llama",
      vocabSize: 2048,
      hiddenSize: 256,
      numLayers: 4,
      numHeads: 8,
      intermediateSize: 688,
    }),
    batch: 4,
    seq: 128,
  },
};
// The `small` reproduction scale's step: the d256 model at its training batch.
SIZES.small = { config: (SIZES.d256 as { config: ModelConfig }).config, batch: 16, seq: 48 };

const TARGET_SETS: Record<string, string[]> = {
  attention: ["q_proj", "k_proj", "v_proj", "o_proj"],
  all: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
};
const TARGETS = TARGET_SETS[values.targets ?? "attention"] as string[];
if (!TARGETS) throw new Error(`--targets: expected one of ${Object.keys(TARGET_SETS).join(", ")}`);

type Variant = {
  label: string;
  options: ({ method: AttachOptions["method"] } & Record<string, unknown>) | null;
  /** Runs one step under a setting it restores afterwards (the uRNN's token-space form). */
  around?: (step: () => void) => void;
};

/** The uRNN's former form: both chains on every token's activation (weight space off). */
function tokenSpace(step: () => void): void {
  const ratio = UrnnLayer.weightSpaceRatio;
  UrnnLayer.weightSpaceRatio = Number.POSITIVE_INFINITY;
  try {
    step();
  } finally {
    UrnnLayer.weightSpaceRatio = ratio;
  }
}
const VARIANTS: Variant[] = [
  { label: "full fine-tuning", options: null },
  { label: "lora r=8", options: { method: "lora", r: 8 } },
  { label: "boft b=8 m=1", options: { method: "boft", blockSize: 8, factors: 1 } },
  { label: "boft b=8 m=2", options: { method: "boft", blockSize: 8, factors: 2 } },
  { label: "boft b=4 m=4", options: { method: "boft", blockSize: 4, factors: 4 } },
  { label: "loraga r=8", options: { method: "loraga", r: 8 } },
  { label: "urnn", options: { method: "urnn" } },
  { label: "urnn token space", options: { method: "urnn" }, around: tokenSpace },
  // The default gate ("weight") reads each branch's gradient in weight space; "share" only the parameter norms.
  { label: "hybrid b=8 m=1 r=8", options: { method: "hybrid", blockSize: 8, factors: 1, r: 8 } },
  {
    label: "hybrid b=8 m=1 r=8 share",
    options: { method: "hybrid", blockSize: 8, factors: 1, r: 8, gate: { kind: "share" } },
  },
  { label: "hybrid b=8 m=2 r=8", options: { method: "hybrid", blockSize: 8, factors: 2, r: 8 } },
  {
    label: "hybrid b=8 m=2 r=8 share",
    options: { method: "hybrid", blockSize: 8, factors: 2, r: 8, gate: { kind: "share" } },
  },
];

// A registered method without a variant above still runs, with its attach() defaults.
for (const method of ADAPTER_METHOD_NAMES)
  if (!VARIANTS.some((v) => v.options?.method === method)) VARIANTS.push({ label: method, options: { method } });

function ids(batch: number, seq: number, vocab: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: batch * seq }, (_, i) => (i * 7919 + seed * 104729) % vocab),
    [batch, seq],
    "int32",
  );
}

interface Run {
  label: string;
  step: () => void;
  trainable: number;
  times: number[];
  /** Process CPU time (user + system) per step: less sensitive to other load on a shared machine than wall time. */
  cpu: number[];
  peak: number;
  dispose: () => void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

async function main(): Promise<void> {
  const backend = await useBackend(values.backend);
  const size = SIZES[values.size ?? "d128"];
  if (!size) throw new Error(`--size: expected one of ${Object.keys(SIZES).join(", ")}`);
  const iters = Number(values.iters);
  const { config, batch, seq } = size;
  console.log(
    `backend ${backend.name}; llama ${values.size} (${config.numLayers} layers, hidden ${config.hiddenSize}), batch ${batch}×${seq}; targets ${TARGETS.join(",")}`,
  );
  console.log(
    `median of ${iters} steps per method, methods interleaved step by step so machine load hits all alike; peak = tf.profile peakBytes of one step`,
  );
  const runs: Run[] = [];
  const only = (values.only ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const v of VARIANTS) {
    if (v.options && only.length && !only.some((o) => v.label.startsWith(o))) continue;
    const model = createModel(config, { seed: 1 });
    const input = ids(batch, seq, config.vocabSize, 1);
    const loss = () => causalLmLoss(model.forward(input), input);
    let att: Attachment | null = null;
    if (v.options) {
      const opts = { ...v.options, targets: TARGETS, seed: 2 } as AttachOptions;
      if (adapterMethod(opts.method).gradientInit)
        Object.assign(opts, {
          estimate: {
            loss: (b: tf.Tensor2D) => causalLmLoss(model.forward(b), b),
            batches: [ids(batch, seq, config.vocabSize, 3)],
          },
        });
      att = attach(model, opts);
    }
    const vars = att ? att.variables() : [...model.namedParameters().values()];
    const opt = tf.train.adam(1e-3);
    let n = 0;
    const plainStep = () => {
      const { value, grads } = tf.variableGrads(loss, vars);
      att?.onGradients(grads, n++);
      opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
      value.dispose();
      Object.values(grads).forEach((g) => {
        g.dispose();
      });
    };
    const around = v.around;
    const step = around ? () => around(plainStep) : plainStep;
    step(); // warm-up: optimiser slots, kernel setup
    const prof = await tf.profile(step);
    runs.push({
      label: v.label,
      step,
      trainable: vars.reduce((k, x) => k + x.size, 0),
      times: [],
      cpu: [],
      peak: prof.peakBytes,
      dispose: () => {
        opt.dispose();
        att?.detach();
        input.dispose();
        for (const p of model.namedParameters().values()) p.dispose();
      },
    });
  }
  for (let i = 0; i < iters; i++) {
    for (const r of runs) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      r.step();
      const c = process.cpuUsage(c0);
      r.times.push(performance.now() - t0);
      r.cpu.push((c.user + c.system) / 1000);
    }
  }
  console.log(
    ["method", "trainable", "step ms", "× lora", "cpu ms", "cpu × lora", "peak MiB", "peak − full"].join("\t"),
  );
  const loraRun = runs.find((r) => r.label.startsWith("lora"));
  const lora = median(loraRun?.times ?? []);
  const loraCpu = median(loraRun?.cpu ?? []);
  const full = runs[0]?.peak ?? NaN;
  for (const r of runs) {
    const ms = median(r.times);
    const cpu = median(r.cpu);
    console.log(
      [
        r.label,
        r.trainable,
        ms.toFixed(1),
        (ms / lora).toFixed(2),
        cpu.toFixed(1),
        (cpu / loraCpu).toFixed(2),
        (r.peak / 2 ** 20).toFixed(1),
        `${((r.peak - full) / 2 ** 20).toFixed(1)} MiB`,
      ].join("\t"),
    );
    r.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Forward and training-step throughput (tokens per CPU-second) of random LLaMA models per tfjs backend,
// beside the same step in PyTorch on this machine, plus the KV cache's per-token cost.
// Run: npm run build && node dist/bench/models.js [--iters N] [--backends wasm,cpu]
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { useBackend } from "../lib/backend/index.js";
import { causalLmLoss, createModel, generate, makeConfig, toHfConfig, type ModelConfig } from "../lib/models/index.js";

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
  {
    label: "d128 L4",
    config: makeConfig({
      family: "llama",
      vocabSize: 1024,
      hiddenSize: 128,
      numLayers: 4,
      numHeads: 4,
      numKvHeads: 2,
      intermediateSize: 344,
    }),
    batch: 4,
    seq: 64,
  },
  {
    label: "d256 L4",
    config: makeConfig({
      family: "llama",
      vocabSize: 2048,
      hiddenSize: 256,
      numLayers: 4,
      numHeads: 8,
      numKvHeads: 4,
      intermediateSize: 688,
    }),
    batch: 4,
    seq: 128,
  },
];

/**
 * Seconds per call in process CPU time: the machine is shared, and CPU time measures the work
 * done where wall time mostly measures the neighbours (PyTorch is timed the same way).
 */
function time(iters: number, fn: () => void): number {
  fn(); // warm-up: kernel compilation, optimiser slots
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / iters;
}

function measure(size: Size, iters: number): { forward: number; train: number } {
  const m = createModel(size.config, { seed: 0 });
  const ids = tf.tidy(() => tf.randomUniform([size.batch, size.seq], 0, size.config.vocabSize, "int32", 1));
  const opt = tf.train.adam(1e-3);
  const vars = [...m.namedParameters().values()];
  const tokens = size.batch * size.seq;
  const fwd = time(iters, () => {
    const y = m.forward(ids);
    y.dataSync();
    y.dispose();
  });
  const step = time(iters, () => {
    const cost = opt.minimize(() => causalLmLoss(m.forward(ids), ids), true, vars);
    cost!.dataSync();
    cost!.dispose();
  });
  m.dispose();
  opt.dispose();
  ids.dispose();
  return { forward: tokens / fwd, train: tokens / step };
}

function torchFigures(iters: number): Map<string, { forward: number; train: number }> {
  const script = fileURLToPath(new URL("../../test/reference/model_bench.py", import.meta.url));
  const req = {
    iters,
    threads: 1,
    sizes: SIZES.map((s) => ({ label: s.label, batch: s.batch, seq: s.seq, config: toHfConfig(s.config) })),
  };
  const r = spawnSync(process.env.PEFT_PYTHON ?? "/usr/bin/python3", [script], {
    input: JSON.stringify(req),
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  if (r.status !== 0) {
    console.error(`PyTorch bench failed: ${r.stderr || r.error?.message}`);
    return new Map();
  }
  const rows = JSON.parse(r.stdout) as { label: string; forward_tok_s: number; train_tok_s: number }[];
  return new Map(rows.map((x) => [x.label, { forward: x.forward_tok_s, train: x.train_tok_s }]));
}

/** Seconds per generated token after a short and a long prompt, with and without the cache. */
function cacheCost(): string[] {
  const config = SIZES[1]!.config;
  const m = createModel(config, { seed: 0 });
  const lines: string[] = [];
  for (const promptLen of [8, 128]) {
    const prompt = Array.from({ length: promptLen }, (_, i) => 3 + (i % 100));
    for (const useCache of [true, false]) {
      const n = 16;
      const cpuMs = (fn: () => void) => {
        const c0 = process.cpuUsage();
        fn();
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000;
      };
      const all = cpuMs(() => generate(m, [prompt], { maxNewTokens: n, eosTokenId: null, useCache }));
      const first = cpuMs(() => generate(m, [prompt], { maxNewTokens: 1, eosTokenId: null, useCache }));
      // (cost of n tokens − cost of the first) / (n − 1): per-token cost after the prompt pass.
      const perToken = (all - first) / (n - 1);
      lines.push(
        `  prompt ${String(promptLen).padStart(3)}  cache ${useCache ? "on " : "off"}  ${perToken.toFixed(2)} CPU-ms/token`,
      );
    }
  }
  m.dispose();
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { iters: { type: "string", default: "3" }, backends: { type: "string", default: "wasm,cpu" } },
  });
  const iters = Number(values.iters);
  const results = new Map<string, Map<string, { forward: number; train: number }>>();
  for (const backend of values.backends!.split(",")) {
    await useBackend(backend);
    const per = new Map<string, { forward: number; train: number }>();
    for (const size of SIZES) {
      // cpu is ~30x slower than wasm: skip the largest size there to keep the bench short.
      if (backend === "cpu" && size === SIZES[SIZES.length - 1]) continue;
      per.set(size.label, measure(size, iters));
    }
    results.set(tf.getBackend(), per);
  }
  const torch = torchFigures(iters);
  const fmt = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(0)).padStart(9);
  const ratio = (a: number | undefined, b: number | undefined) =>
    (a === undefined || b === undefined ? "-" : (a / b).toFixed(2)).padStart(7);
  console.log(
    `tokens per CPU-second (batch x seq per step; ${iters} timed iterations after one warm-up; PyTorch with 1 thread)`,
  );
  console.log(
    `${"size".padEnd(9)} ${"backend".padEnd(8)} ${"forward".padStart(9)} ${"train".padStart(9)} ${"fwd/pt".padStart(7)} ${"train/pt".padStart(7)}`,
  );
  for (const size of SIZES) {
    const pt = torch.get(size.label);
    for (const [backend, per] of results) {
      const r = per.get(size.label);
      console.log(
        `${size.label.padEnd(9)} ${backend.padEnd(8)} ${fmt(r?.forward)} ${fmt(r?.train)} ${ratio(r?.forward, pt?.forward)} ${ratio(r?.train, pt?.train)}`,
      );
    }
    console.log(`${size.label.padEnd(9)} ${"pytorch".padEnd(8)} ${fmt(pt?.forward)} ${fmt(pt?.train)}`);
  }
  await useBackend("wasm");
  console.log("\ngeneration cost per new token (wasm, d128 L4):");
  for (const line of cacheCost()) console.log(line);
}

await main();

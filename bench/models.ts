// Training and forward throughput of random LLaMA models on this project's CPU backends, side by side with
// PyTorch at the same thread count in the same run, plus GEMM GFLOP/s and the KV cache's per-token cost.
// PyTorch runs in a long-lived worker (test/reference/model_bench.py) so that its measurements interleave
// with ours under the same machine load; it must run an optimised BLAS: the bench checks which library the
// worker mapped and refuses to compare against the reference BLAS. Both sides use the same OpenBLAS
// kernels: the worker gets the core the native backend runs (OPENBLAS_CORETYPE) unless the environment
// already sets one for both.
// Run: npm run build && node dist/bench/models.js [--threads N] [--iters N] [--backends native,wasm]
//        [--sizes d256,d512] [--wasm-sizes d256] [--profile]
import * as tf from "@tensorflow/tfjs";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { attach } from "../lib/adapters/index.js";
import { useBackend } from "../lib/backend/index.js";
import { loadAddon } from "../lib/backend/native/addon.js";
import { causalLmLoss, createModel, generate, makeConfig, toHfConfig, type ModelConfig } from "../lib/models/index.js";
import { createOptimizer } from "../lib/train/optim.js";

const { values: args } = parseArgs({
  options: {
    threads: { type: "string" },
    iters: { type: "string", default: "5" },
    backends: { type: "string", default: "native,wasm" },
    sizes: { type: "string", default: "d256,d512" },
    /** Sizes wasm also runs (it is 5-20x slower). */
    "wasm-sizes": { type: "string", default: "d256" },
    profile: { type: "boolean", default: false },
  },
});
const THREADS = Number(args.threads ?? availableParallelism());
const ITERS = Number(args.iters);

interface Size {
  label: string;
  config: ModelConfig;
  batch: number;
  seq: number;
}

const llama = (hiddenSize: number, numLayers: number, intermediateSize: number) =>
  makeConfig({
    family: "llama",
    vocabSize: 512,
    hiddenSize,
    numLayers,
    numHeads: 8,
    numKvHeads: 4,
    intermediateSize,
    tieWordEmbeddings: true,
  });

/** The issue's configuration (about 3.0 M parameters) and a wider, deeper one (about 25 M). */
const SIZES: Size[] = [
  { label: "d256", config: llama(256, 4, 688), batch: 8, seq: 128 },
  { label: "d512", config: llama(512, 8, 1536), batch: 8, seq: 128 },
];
const MODES = ["forward", "lora", "full"] as const;
type Mode = (typeof MODES)[number];

/** The PyTorch worker: one JSON request per line, one reply per line. */
class Torch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private stderr = "";

  constructor(env: NodeJS.ProcessEnv) {
    const script = fileURLToPath(new URL("../../test/reference/model_bench.py", import.meta.url));
    this.child = spawn(process.env.PEFT_PYTHON ?? "/usr/bin/python3", [script], { env });
    this.child.stderr.on("data", (d) => (this.stderr += d));
    this.child.on("exit", (code) => {
      const err = new Error(`PyTorch worker exited ${code}: ${this.stderr.slice(-2000)}`);
      for (const p of this.pending.splice(0)) p.reject(err);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (l) => this.pending.shift()?.resolve(l));
  }

  request<T>(req: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve: (line) => resolve(JSON.parse(line) as T), reject });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Wall-clock seconds of each of ITERS calls after one warm-up call. */
function timeSteps(fn: () => void): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < ITERS; i++) {
    const t0 = performance.now();
    fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** The trainer's step (gradients of the trainable set, then Adam) or a forward pass, timed. */
function ourSteps(size: Size, mode: Mode): number[] {
  const model = createModel(size.config, { seed: 0 });
  const ids = tf.tidy(() => tf.randomUniform([size.batch, size.seq], 0, size.config.vocabSize, "int32", 1));
  const lora = mode === "lora" ? attach(model, { method: "lora", targets: /q_proj|v_proj/, r: 8, alpha: 16 }) : null;
  const vars = lora ? lora.groups().flatMap((g) => g.variables) : [...model.namedParameters().values()];
  const opt = createOptimizer({ kind: "adamw", lr: 1e-3, weightDecay: 0 });
  const step =
    mode === "forward"
      ? () => tf.tidy(() => void model.forward(ids).dataSync())
      : () => {
          const { value, grads } = tf.variableGrads(() => causalLmLoss(model.forward(ids), ids), vars);
          value.dataSync();
          opt.apply(
            vars.map((v) => ({ key: v.name, variable: v, grad: grads[v.name]! })),
            1e-3,
          );
          tf.dispose([value, ...Object.values(grads)]);
        };
  const times = timeSteps(step);
  lora?.detach();
  model.dispose();
  opt.dispose();
  ids.dispose();
  return times;
}

/**
 * Best-of GFLOP/s of an n³ product through tf.matMul on the active backend, output allocation included
 * (native and wasm compute synchronously: the product is done when matMul returns).
 */
function ourGemm(n: number): number {
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  let best = Number.POSITIVE_INFINITY;
  const deadline = performance.now() + 1000;
  tf.matMul(a, b).dispose();
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    best = Math.min(best, performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/** Per-kernel self time of one LoRA step at d256 (kernels wrapped with a timer; tfjs's profiler reads every output). */
async function kernelProfile(backend: string): Promise<string[]> {
  await useBackend({ backend, threads: THREADS });
  const name = tf.getBackend();
  const stats = new Map<string, { ms: number; n: number }>();
  const originals = tf.getKernelsForBackend(name);
  const wrap = (on: boolean) => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, name);
      const kernelFunc: tf.KernelFunc = on
        ? (a) => {
            const t0 = performance.now();
            const r = k.kernelFunc(a);
            const e = stats.get(k.kernelName) ?? { ms: 0, n: 0 };
            e.ms += performance.now() - t0;
            e.n++;
            stats.set(k.kernelName, e);
            return r;
          }
        : k.kernelFunc;
      tf.registerKernel({ ...k, kernelFunc });
    }
  };
  const size = SIZES[0] as Size;
  wrap(true);
  try {
    await tf.setBackend(name);
    const t0 = performance.now();
    ourSteps(size, "lora");
    const wall = performance.now() - t0;
    const total = [...stats.values()].reduce((s, e) => s + e.ms, 0);
    const lines = [
      `${name}: ${(total / (ITERS + 1)).toFixed(0)} ms of kernels in ${(wall / (ITERS + 1)).toFixed(0)} ms per step`,
    ];
    for (const [k, e] of [...stats].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12)) {
      const share = ((100 * e.ms) / total).toFixed(1).padStart(5);
      lines.push(`  ${k.padEnd(22)} ${share}%  ${(e.n / (ITERS + 1)).toFixed(0).padStart(4)} calls/step`);
    }
    return lines;
  } finally {
    wrap(false);
    await tf.setBackend(name);
  }
}

/** Seconds per generated token after a short and a long prompt, with and without the cache. */
function cacheCost(config: ModelConfig): string[] {
  const m = createModel(config, { seed: 0 });
  const lines: string[] = [];
  for (const promptLen of [8, 128]) {
    const prompt = Array.from({ length: promptLen }, (_, i) => 3 + (i % 100));
    for (const useCache of [true, false]) {
      const n = 16;
      const ms = (fn: () => void) => {
        const t0 = performance.now();
        fn();
        return performance.now() - t0;
      };
      const all = ms(() => generate(m, [prompt], { maxNewTokens: n, eosTokenId: null, useCache }));
      const first = ms(() => generate(m, [prompt], { maxNewTokens: 1, eosTokenId: null, useCache }));
      const perToken = (all - first) / (n - 1);
      lines.push(
        `  prompt ${String(promptLen).padStart(3)}  cache ${useCache ? "on " : "off"}  ${perToken.toFixed(2)} ms/token`,
      );
    }
  }
  m.dispose();
  return lines;
}

interface BlasReport {
  library: string[];
  reference: boolean;
  config: string | null;
  core: string | null;
  torch_config: string[];
  gflops512: number;
}

async function main(): Promise<number> {
  const backends = args.backends!.split(",").filter(Boolean);
  const sizes = args.sizes!.split(",").map((l) => {
    const s = SIZES.find((x) => x.label === l);
    if (!s) throw new Error(`--sizes: no size '${l}'; expected some of ${SIZES.map((x) => x.label).join(",")}`);
    return s;
  });
  const wasmSizes = new Set(args["wasm-sizes"]!.split(","));
  const [l1, l5] = loadavg();
  console.log(
    `${availableParallelism()} cores, load average ${l1!.toFixed(1)} (1 min) ${l5!.toFixed(1)} (5 min); ${THREADS} threads on every side; ` +
      `wall-clock median of ${ITERS} steps after a warm-up, batch x seq tokens per step`,
  );

  // Ours first: the native backend decides the OpenBLAS core the PyTorch worker is given.
  const native = backends.includes("native") ? await useBackend({ backend: "native", threads: THREADS }) : null;
  if (native) console.log(`ours:    native backend, ${native.detail}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PEFT_BENCH_THREADS: String(THREADS),
    OMP_NUM_THREADS: String(THREADS),
  };
  if (native && process.env.OPENBLAS_CORETYPE === undefined) env.OPENBLAS_CORETYPE = loadAddon().addon.info().blasCore;
  const torch = new Torch(env);
  const blas = await torch.request<BlasReport>({ op: "blas" });
  const refuse = blas.reference;
  console.log(
    `PyTorch: ${blas.library.join(", ") || "no BLAS library mapped"}; ${blas.config ?? "not OpenBLAS"}; ` +
      `core ${blas.core ?? "-"}; ${blas.gflops512.toFixed(0)} GFLOP/s at 512³ (${blas.torch_config[0]?.match(/BLAS_INFO=\w+/)?.[0] ?? ""})`,
  );
  if (refuse) {
    console.log(
      "PyTorch runs the reference BLAS: refusing to compare against it. Install an optimised one " +
        "(bash scripts/system-deps.sh installs libopenblas0-pthread) and rerun.",
    );
  }

  const fmt = (x: number | undefined, w = 9) => (x === undefined ? "-" : x.toFixed(0)).padStart(w);
  const ratio = (a?: number, b?: number) =>
    (a === undefined || b === undefined || refuse ? "-" : `${(a / b).toFixed(2)}x`).padStart(8);

  console.log("\nGEMM GFLOP/s (tf.matMul on the backend; PyTorch torch.mm), best of 1 s");
  console.log(
    `${"n".padEnd(6)} ${backends.map((b) => b.padStart(9)).join(" ")} ${"pytorch".padStart(9)} ${"ours/pt".padStart(8)}`,
  );
  for (const n of [256, 512, 1024]) {
    const ours: number[] = [];
    for (const b of backends) {
      await useBackend({ backend: b, threads: THREADS });
      ours.push(ourGemm(n));
    }
    const pt = refuse ? undefined : (await torch.request<{ gflops: number }>({ op: "gemm", n, seconds: 1 })).gflops;
    console.log(`${`${n}³`.padEnd(6)} ${ours.map((x) => fmt(x)).join(" ")} ${fmt(pt)} ${ratio(ours[0], pt)}`);
  }

  console.log(
    "\ntokens/s (LoRA: r=8, alpha 16 on q_proj, v_proj; full: every weight; both Adam; forward: no gradients)",
  );
  console.log(
    `${"size".padEnd(22)} ${"step".padEnd(8)} ${backends.map((b) => b.padStart(9)).join(" ")} ${"pytorch".padStart(9)} ${"ours/pt".padStart(8)}`,
  );
  for (const size of sizes) {
    const params = createModel(size.config, { seed: 0 });
    const count = [...params.namedParameters().values()].reduce((s, v) => s + v.size, 0);
    params.dispose();
    const label = `${size.label} L${size.config.numLayers} ${(count / 1e6).toFixed(1)}M`;
    const tokens = size.batch * size.seq;
    for (const mode of MODES) {
      const ours: (number | undefined)[] = [];
      for (const b of backends) {
        if (b === "wasm" && !wasmSizes.has(size.label)) {
          ours.push(undefined);
          continue;
        }
        await useBackend({ backend: b, threads: THREADS });
        ours.push(tokens / median(ourSteps(size, mode)));
      }
      let pt: number | undefined;
      if (!refuse) {
        const req = {
          op: "steps",
          config: toHfConfig(size.config),
          batch: size.batch,
          seq: size.seq,
          mode,
          iters: ITERS,
        };
        pt = tokens / median((await torch.request<{ seconds: number[] }>(req)).seconds);
      }
      console.log(
        `${label.padEnd(22)} ${mode.padEnd(8)} ${ours.map((x) => fmt(x)).join(" ")} ${fmt(pt)} ${ratio(ours[0], pt)}`,
      );
    }
  }
  torch.close();

  if (args.profile) {
    console.log("\nper-kernel self time of one LoRA step at d256 (top 12):");
    for (const b of backends) for (const line of await kernelProfile(b)) console.log(line);
  }
  await useBackend({ threads: THREADS });
  console.log(`\ngeneration cost per new token (${tf.getBackend()}, d256 L4):`);
  for (const line of cacheCost((SIZES[0] as Size).config)) console.log(line);
  return refuse ? 1 : 0;
}

process.exitCode = await main();

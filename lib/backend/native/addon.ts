// Loads the native addon that scripts/build-native.mjs compiled at install time, or says exactly why it
// cannot: the build records what was missing (compiler, OpenBLAS, headers) and the command that
// installs it in native/build/status.json. Loading sets OpenBLAS's kernel set (see native/blas-core.mjs)
// for the moment the library initialises, then restores the environment.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface NativeInfo {
  /** OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...". */
  blasConfig: string;
  /** The kernel set OpenBLAS runs, e.g. "Cooperlake". */
  blasCore: string;
  blasThreads: number;
  poolThreads: number;
  processors: number;
}

/** The C entry points (native/src/addon.c). Offsets count float32 elements of `heap`. */
export interface NativeAddon {
  gemm(
    heap: ArrayBuffer,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    batch: number,
    aOff: number,
    aStride: number,
    bOff: number,
    bStride: number,
    cOff: number,
    beta: number,
  ): void;
  copy(heap: ArrayBuffer, srcOff: number, dstOff: number, dims: Int32Array): void;
  binary(heap: ArrayBuffer, op: number, aOff: number, bOff: number, outOff: number, dims: Int32Array): void;
  gather(
    heap: ArrayBuffer,
    xOff: number,
    indicesOff: number,
    outOff: number,
    outer: number,
    axis: number,
    inner: number,
    count: number,
  ): void;
  biasActivation(
    heap: ArrayBuffer,
    cOff: number,
    rows: number,
    n: number,
    biasOff: number,
    act: number,
    alpha: number,
  ): void;
  rmsNorm(heap: ArrayBuffer, x: number, w: number, y: number, rows: number, d: number, eps: number): void;
  rmsNormGrad(
    heap: ArrayBuffer,
    dy: number,
    x: number,
    w: number,
    dx: number,
    dw: number,
    rows: number,
    d: number,
    eps: number,
  ): void;
  swiglu(heap: ArrayBuffer, gate: number, up: number, y: number, n: number): void;
  swigluGrad(heap: ArrayBuffer, dy: number, gate: number, up: number, dgate: number, dup: number, n: number): void;
  /** Forward ([B, T, H*D] to [B, H, T, D]) or, with backward = 1, its transpose. */
  ropeHeads(
    heap: ArrayBuffer,
    input: number,
    cos: number,
    sin: number,
    output: number,
    b: number,
    t: number,
    h: number,
    d: number,
    csBatchStride: number,
    backward: number,
  ): void;
  attnSoftmax(
    heap: ArrayBuffer,
    scores: number,
    mask: number,
    p: number,
    b: number,
    h: number,
    t: number,
    s: number,
    scale: number,
    maskBatchStride: number,
  ): void;
  attnSoftmaxGrad(heap: ArrayBuffer, dp: number, p: number, ds: number, rows: number, s: number, scale: number): void;
  crossEntropy(
    heap: ArrayBuffer,
    logits: number,
    labels: number,
    weights: number,
    loss: number,
    lse: number,
    n: number,
    v: number,
  ): void;
  crossEntropyGrad(
    heap: ArrayBuffer,
    dloss: number,
    logits: number,
    labels: number,
    weights: number,
    lse: number,
    dlogits: number,
    n: number,
    v: number,
  ): void;
  /** One AdamW step (constants as lib/train/optim.ts computes them); m, v unread when `first`. */
  adamW(
    heap: ArrayBuffer,
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    decay: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    bc2Sqrt: number,
    eps: number,
    step: number,
    decays: number,
    first: number,
  ): void;
  setThreads(n: number): void;
  info(): NativeInfo;
}

/** What the install-time build wrote (scripts/build-native.mjs). */
export interface BuildStatus {
  ok: boolean;
  missing?: string;
  fix?: string;
  detail?: string;
  blas?: { config: string; detected: string; coreType?: string; coreFlags?: string[]; reason?: string };
}

export interface LoadedAddon {
  addon: NativeAddon;
  status: BuildStatus;
  /** How OpenBLAS's core was chosen, for the backend report. */
  core: string;
}

/** Thrown when the addon is not there or does not load; the message names what is missing and the fix. */
export class NativeUnavailable extends Error {}

/** PEFT_NATIVE_DIR, else native/build of this package (found from lib/ under vitest and from dist/lib/ alike). */
export function defaultBuildDir(): string {
  if (process.env.PEFT_NATIVE_DIR) return process.env.PEFT_NATIVE_DIR;
  const pkg = createRequire(import.meta.url).resolve("peft-notebook/package.json");
  return join(dirname(pkg), "native", "build");
}

function cpuFlags(): Set<string> {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    return new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

function readStatus(dir: string): BuildStatus | null {
  const file = join(dir, "status.json");
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as BuildStatus;
  } catch (err) {
    throw new NativeUnavailable(`${file} is not valid JSON (${(err as Error).message}); rebuild: npm run build:native`);
  }
}

/** Loads (once per build dir) the addon; throws NativeUnavailable with the missing piece and its fix. */
export function loadAddon(dir = defaultBuildDir()): LoadedAddon {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const status = readStatus(dir);
  const file = join(dir, "peft_native.node");
  if (status && !status.ok) {
    throw new NativeUnavailable(
      `the native backend was not built: ${status.missing} is missing; install it (${status.fix}), then run npm run build:native`,
    );
  }
  if (!status || !existsSync(file)) {
    throw new NativeUnavailable(
      `${file} has not been built; run npm run build:native (it needs cc and libopenblas-dev)`,
    );
  }
  // OpenBLAS reads OPENBLAS_CORETYPE once, while the addon's dependencies load.
  const own = process.env.OPENBLAS_CORETYPE;
  const chosen = status.blas?.coreType;
  const usable = chosen && (status.blas?.coreFlags ?? []).every((f) => cpuFlags().has(f));
  if (own === undefined && usable) process.env.OPENBLAS_CORETYPE = chosen;
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (err) {
    throw new NativeUnavailable(
      `${file} does not load (${(err as Error).message.split("\n")[0]}); install OpenBLAS (apt-get install libopenblas0-pthread) or rebuild: npm run build:native`,
    );
  } finally {
    if (own === undefined) delete process.env.OPENBLAS_CORETYPE;
  }
  const core =
    own !== undefined
      ? `OPENBLAS_CORETYPE=${own} from the environment`
      : usable
        ? `${chosen}: ${status.blas?.reason}`
        : "chosen by OpenBLAS";
  const result = { addon, status, core };
  loaded.set(dir, result);
  return result;
}

const loaded = new Map<string, LoadedAddon>();

/** Whether the native backend can start here, and if not, why (the message useBackend() reports). */
export function nativeStatus(dir = defaultBuildDir()): { available: boolean; reason: string } {
  try {
    return { available: true, reason: loadAddon(dir).core };
  } catch (err) {
    if (err instanceof NativeUnavailable) return { available: false, reason: err.message };
    throw err;
  }
}

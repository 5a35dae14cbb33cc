// BatchMatMul and _FusedMatMul as OpenBLAS GEMMs on the wasm heap. Transposed operands are GEMM flags
// (no transpose is materialised), batch dimensions broadcast as NumPy does, and _FusedMatMul's bias and
// activation run in place on the output.
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon.js";
import { heap, offsetOf, type WasmBackend } from "../heap.js";

/** Activation codes of native/src/act.h. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, sigmoid: 5 };

interface Product {
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

function product(a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): Product {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) {
    throw new Error(`BatchMatMul: operands must have rank >= 2, found [${a.shape}] and [${b.shape}]`);
  }
  const m = a.shape[transA ? ra - 1 : ra - 2] as number;
  const ka = a.shape[transA ? ra - 2 : ra - 1] as number;
  const kb = b.shape[transB ? rb - 1 : rb - 2] as number;
  const n = b.shape[transB ? rb - 2 : rb - 1] as number;
  if (ka !== kb) {
    throw new Error(
      `BatchMatMul: inner dimensions differ: a [${a.shape}] (transposeA=${transA}) has ${ka}, b [${b.shape}] (transposeB=${transB}) has ${kb}`,
    );
  }
  const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { m, n, k: ka, outShape: [...batch, m, n] };
}

/**
 * Runs C = op(A)·op(B) for every batch index. The last batch dimension is handed to the addon as one
 * strided batch; the others (only present when both operands have broadcast batch dimensions of
 * rank > 1) are walked here.
 */
function gemm(
  addon: NativeAddon,
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transA: boolean,
  transB: boolean,
  p: Product,
  out: tf.TensorInfo,
): void {
  const { m, n, k } = p;
  const batchShape = p.outShape.slice(0, -2);
  const rank = batchShape.length;
  // Batch strides of each operand over the output's batch dimensions (0 where broadcast).
  const stridesFor = (t: tf.TensorInfo): number[] => {
    const own = t.shape.slice(0, -2);
    const pad = rank - own.length;
    const strides = new Array<number>(rank).fill(0);
    let s = (t.shape[t.shape.length - 1] as number) * (t.shape[t.shape.length - 2] as number);
    for (let i = own.length - 1; i >= 0; i--) {
      if ((own[i] as number) !== 1) strides[pad + i] = s;
      s *= own[i] as number;
    }
    return strides;
  };
  const sa = stridesFor(a);
  const sb = stridesFor(b);
  const inner = rank > 0 ? (batchShape[rank - 1] as number) : 1;
  const outer = rank > 1 ? batchShape.slice(0, -1).reduce((x, y) => x * y, 1) : 1;
  const a0 = offsetOf(backend, a);
  const b0 = offsetOf(backend, b);
  const c0 = offsetOf(backend, out);
  const buf = heap(backend);
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let o = 0; o < outer; o++) {
    let aOff = a0;
    let bOff = b0;
    for (let d = 0; d < rank - 1; d++) {
      aOff += (idx[d] as number) * (sa[d] as number);
      bOff += (idx[d] as number) * (sb[d] as number);
    }
    const aStride = rank > 0 ? (sa[rank - 1] as number) : 0;
    const bStride = rank > 0 ? (sb[rank - 1] as number) : 0;
    addon.gemm(buf, m, n, k, +transA, +transB, inner, aOff, aStride, bOff, bStride, c0 + o * inner * m * n, 0);
    for (let d = rank - 2; d >= 0; d--) {
      if (((idx[d] as number) += 1) < (batchShape[d] as number)) break;
      idx[d] = 0;
    }
  }
}

export function batchMatMulKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const backend = args.backend as WasmBackend;
    const p = product(a, b, transposeA, transposeB);
    const out = backend.makeOutput(p.outShape, "float32");
    gemm(addon, backend, a, b, transposeA, transposeB, p, out);
    return out;
  };
}

/**
 * _FusedMatMul: the GEMM, then bias and activation in place in one pass. A bias that is a row vector over
 * the output's last dimension and the activations of native/src/act.c run natively; any other bias shape
 * and prelu go through the wasm kernels (`wasmKernel`), as tfjs itself would compute them.
 */
export function fusedMatMulKernel(addon: NativeAddon, wasmKernel: (name: string) => tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: tf.TensorInfo;
      b: tf.TensorInfo;
      bias?: tf.TensorInfo;
      preluActivationWeights?: tf.TensorInfo;
    };
    if (a.dtype !== "float32" || b.dtype !== "float32") return wasmKernel(tf._FusedMatMul)(args);
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as tf._FusedMatMulAttrs;
    const act = ACTIVATIONS[activation ?? "linear"];
    if (act === undefined && !(activation === "prelu" && preluActivationWeights)) {
      throw new Error(`_FusedMatMul: unsupported activation '${activation}'`);
    }
    const backend = args.backend as WasmBackend;
    const p = product(a, b, transposeA, transposeB);
    let out = backend.makeOutput(p.outShape, "float32");
    gemm(addon, backend, a, b, transposeA, transposeB, p, out);
    const viaWasm = (name: string, inputs: tf.NamedTensorInfoMap) => {
      const next = wasmKernel(name)({ inputs, backend, attrs: {} }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
      out = next;
    };
    const rowBias = bias?.shape.every((d, i) => (i === bias.shape.length - 1 ? d === p.n : d === 1)) ?? false;
    if (bias && !rowBias) viaWasm(tf.Add, { a: out, b: bias });
    const rows = p.outShape.reduce((x, y) => x * y, 1) / Math.max(p.n, 1);
    const biasOff = bias && rowBias ? offsetOf(backend, bias) : -1;
    addon.biasActivation(heap(backend), offsetOf(backend, out), rows, p.n, biasOff, act ?? 0, leakyreluAlpha ?? 0.2);
    if (act === undefined) viaWasm(tf.Prelu, { x: out, alpha: preluActivationWeights as tf.TensorInfo });
    return out;
  };
}

// Transpose, Slice, SplitV, Concat and GatherV2 as copies in the addon (native/src/copy.c): each moves a
// strided view of one tensor into a strided view of another, with contiguous runs as memcpy and
// transposed planes in cache tiles, over the addon's threads. 4-byte dtypes only (float32, int32);
// bool and string tensors go to the wasm kernels.
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon.js";
import { heap, offsetOf, stridesOf, type WasmBackend } from "../heap.js";

const FOUR_BYTES = new Set<tf.DataType>(["float32", "int32"]);

function dims(shape: readonly number[], src: readonly number[], dst: readonly number[]): Int32Array {
  const r = shape.length;
  const out = new Int32Array(3 * r);
  for (let i = 0; i < r; i++) {
    out[i] = shape[i] as number;
    out[r + i] = src[i] as number;
    out[2 * r + i] = dst[i] as number;
  }
  return out;
}

export function transposeKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!FOUR_BYTES.has(x.dtype)) return fallback(args);
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    const backend = args.backend as WasmBackend;
    const inStrides = stridesOf(x.shape);
    const outShape = perm.map((p) => x.shape[p] as number);
    const out = backend.makeOutput(outShape, x.dtype);
    const srcStrides = perm.map((p) => inStrides[p] as number);
    addon.copy(
      heap(backend),
      offsetOf(backend, x),
      offsetOf(backend, out),
      dims(outShape, srcStrides, stridesOf(outShape)),
    );
    return out;
  };
}

/** A slice of x as a new tensor (begin/size already normalised). */
function slice(addon: NativeAddon, backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]) {
  const out = backend.makeOutput(size, x.dtype);
  const strides = stridesOf(x.shape);
  const start = begin.reduce((acc, b, i) => acc + b * (strides[i] as number), 0);
  addon.copy(heap(backend), offsetOf(backend, x) + start, offsetOf(backend, out), dims(size, strides, stridesOf(size)));
  return out;
}

export function sliceKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!FOUR_BYTES.has(x.dtype)) return fallback(args);
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
    return slice(addon, args.backend as WasmBackend, x, begin, size);
  };
}

export function splitVKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!FOUR_BYTES.has(x.dtype)) return fallback(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[ax] = s;
      const out = slice(addon, args.backend as WasmBackend, x, begin.slice(), size);
      begin[ax] = (begin[ax] as number) + s;
      return out;
    });
  };
}

export function concatKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const first = inputs[0] as tf.TensorInfo;
    if (!FOUR_BYTES.has(first.dtype) || inputs.some((t) => t.dtype !== first.dtype)) return fallback(args);
    const { axis } = args.attrs as unknown as tf.ConcatAttrs;
    const ax = tf.util.parseAxisParam(axis, first.shape)[0] as number;
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, ax);
    const outShape = tf.backend_util.computeOutShape(shapes, ax);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(outShape, first.dtype);
    const outStrides = stridesOf(outShape);
    const buf = heap(backend);
    const base = offsetOf(backend, out);
    let at = 0;
    for (const t of inputs) {
      if (t.shape.some((d) => d === 0)) continue;
      const off = base + at * (outStrides[ax] as number);
      addon.copy(buf, offsetOf(backend, t), off, dims(t.shape, stridesOf(t.shape), outStrides));
      at += t.shape[ax] as number;
    }
    return out;
  };
}

/** GatherV2 along any axis (batchDims 0): one row copy per index, indices checked in the addon. */
export function gatherKernel(addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
    if (!FOUR_BYTES.has(x.dtype) || indices.dtype !== "int32" || (batchDims ?? 0) !== 0) return fallback(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0] as number;
    const outShape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(outShape, x.dtype);
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const outer = size(x.shape.slice(0, ax));
    const inner = size(x.shape.slice(ax + 1));
    const count = size(indices.shape);
    const buf = heap(backend);
    addon.gather(
      buf,
      offsetOf(backend, x),
      offsetOf(backend, indices),
      offsetOf(backend, out),
      outer,
      x.shape[ax] as number,
      inner,
      count,
    );
    return out;
  };
}

// Add, Sub, Multiply and RealDiv on float32 with NumPy broadcasting, threaded in the addon
// (native/src/binary.c). wasm runs these on one thread with a per-element index computation whenever
// an operand broadcasts, which the models do on every norm, rotary embedding and mask. Other dtypes go
// to the wasm kernels. IEEE arithmetic is exact per element, so results equal wasm's and cpu's bit for bit.
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon.js";
import { heap, offsetOf, stridesOf, type WasmBackend } from "../heap.js";

/** Operation codes of native/src/binary.h. */
export const BINARY_OPS: Record<string, number> = { [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2, [tf.RealDiv]: 3 };

/** Strides of `shape` over an output of rank `rank`, 0 along broadcast dimensions. */
function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const own = stridesOf(shape);
  const pad = rank - shape.length;
  return Array.from({ length: rank }, (_, i) => (i < pad || shape[i - pad] === 1 ? 0 : (own[i - pad] as number)));
}

export function binaryKernel(addon: NativeAddon, op: number, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (outShape.length > 8) return fallback(args);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(outShape, "float32");
    const r = outShape.length;
    const dims = new Int32Array(3 * r);
    dims.set(outShape, 0);
    dims.set(broadcastStrides(a.shape, r), r);
    dims.set(broadcastStrides(b.shape, r), 2 * r);
    addon.binary(heap(backend), op, offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), dims);
    return out;
  };
}

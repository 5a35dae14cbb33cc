// The wasm backend's heap as the native kernels see it: one ArrayBuffer holding every tensor, and each
// tensor's position in it. The heap's ArrayBuffer is replaced when wasm memory grows (any allocation
// can do that), so kernels take `heap()` after their last makeOutput and right before the native call.
import type * as tf from "@tensorflow/tfjs";

interface TensorData {
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
}

/** The parts of tfjs-backend-wasm's BackendWasm the native kernels use. */
export interface WasmBackend extends tf.KernelBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): TensorData | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

export function heap(backend: WasmBackend): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/** Offset of a tensor's first element, in 4-byte elements. */
export function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error(`native backend: tensor of shape [${t.shape.join(", ")}] has no data on the wasm heap`);
  return data.memoryOffset / 4;
}

/** Row-major strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i] as number;
  }
  return strides;
}

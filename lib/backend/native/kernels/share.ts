// Identity, and Cast to the same dtype, as a second reference to the same heap memory (as the cpu
// backend does) instead of wasm's copy. tfjs tensors are immutable and variables are reassigned, never
// written in place, so sharing is safe; it matters because the engine clones every tensor it saves for
// the backward pass through Identity, and casts every such gradient back through Cast: ~500 full
// copies per training step of the d256 model.
import type * as tf from "@tensorflow/tfjs";

function share(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function identityKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    return x.dtype === "string" ? fallback(args) : share(x, args.backend as tf.KernelBackend);
  };
}

export function castKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    return dtype === x.dtype && dtype !== "string" ? share(x, args.backend as tf.KernelBackend) : fallback(args);
  };
}

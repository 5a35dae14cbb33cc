// Kernels for the fused ops of lib/backend/fused.ts (native/src/fused.h), under kernel names of their
// own. Forward and backward are separate kernels; fused.ts pairs them with tf.customGrad.
import type * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon.js";
import { heap, offsetOf, type WasmBackend } from "../heap.js";

export const FUSED_KERNELS = {
  rmsNorm: "PeftRmsNorm",
  rmsNormGrad: "PeftRmsNormGrad",
  swiglu: "PeftSwiGlu",
  swigluGrad: "PeftSwiGluGrad",
  ropeHeads: "PeftRopeHeads",
  ropeHeadsGrad: "PeftRopeHeadsGrad",
  attnSoftmax: "PeftAttnSoftmax",
  attnSoftmaxGrad: "PeftAttnSoftmaxGrad",
  crossEntropy: "PeftCrossEntropy",
  crossEntropyGrad: "PeftCrossEntropyGrad",
  adamW: "PeftAdamW",
} as const;

type Inputs = Record<string, tf.TensorInfo>;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Kernel functions by kernel name. */
export function fusedKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  const K = FUSED_KERNELS;
  // Allocates the outputs, then hands the current heap (after any growth) and offsets to `run`.
  const kernel =
    (outputs: (i: Inputs, attrs: Record<string, unknown>) => { shape: number[]; dtype?: tf.DataType }[], run: Run) =>
    (args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }) => {
      const backend = args.backend as WasmBackend;
      const inputs = args.inputs as unknown as Inputs;
      const attrs = (args.attrs ?? {}) as Record<string, unknown>;
      const outs = outputs(inputs, attrs).map((o) => backend.makeOutput(o.shape, o.dtype ?? "float32"));
      const off = (t: tf.TensorInfo) => offsetOf(backend, t);
      run(heap(backend), inputs, outs, off, attrs);
      return outs.length === 1 ? (outs[0] as tf.TensorInfo) : outs;
    };
  type Run = (
    h: ArrayBuffer,
    i: Inputs,
    o: tf.TensorInfo[],
    off: (t: tf.TensorInfo) => number,
    a: Record<string, unknown>,
  ) => void;
  const rows = (x: tf.TensorInfo) => size(x.shape) / (x.shape[x.shape.length - 1] as number);
  const last = (x: tf.TensorInfo) => x.shape[x.shape.length - 1] as number;
  // cos/sin are [Bc, 1, T, D] or [Bc, T, D]; Bc = 1 shares them across the batch.
  const csStride = (cs: tf.TensorInfo) => (cs.shape[0] === 1 ? 0 : size(cs.shape.slice(1)));
  return {
    [K.rmsNorm]: kernel(
      (i) => [{ shape: i.x!.shape }],
      (h, i, [y], off, a) =>
        addon.rmsNorm(h, off(i.x!), off(i.weight!), off(y!), rows(i.x!), last(i.x!), a.eps as number),
    ),
    [K.rmsNormGrad]: kernel(
      (i) => [{ shape: i.x!.shape }, { shape: i.weight!.shape }],
      (h, i, [dx, dw], off, a) =>
        addon.rmsNormGrad(
          h,
          off(i.dy!),
          off(i.x!),
          off(i.weight!),
          off(dx!),
          off(dw!),
          rows(i.x!),
          last(i.x!),
          a.eps as number,
        ),
    ),
    [K.swiglu]: kernel(
      (i) => [{ shape: i.gate!.shape }],
      (h, i, [y], off) => addon.swiglu(h, off(i.gate!), off(i.up!), off(y!), size(y!.shape)),
    ),
    [K.swigluGrad]: kernel(
      (i) => [{ shape: i.gate!.shape }, { shape: i.up!.shape }],
      (h, i, [dg, du], off) =>
        addon.swigluGrad(h, off(i.dy!), off(i.gate!), off(i.up!), off(dg!), off(du!), size(dg!.shape)),
    ),
    [K.ropeHeads]: kernel(
      (i, a) => {
        const [b, t, hd] = i.x!.shape as [number, number, number];
        const heads = a.heads as number;
        return [{ shape: [b, heads, t, hd / heads] }];
      },
      (h, i, [y], off, a) => {
        const [b, t, hd] = i.x!.shape as [number, number, number];
        const heads = a.heads as number;
        addon.ropeHeads(h, off(i.x!), off(i.cos!), off(i.sin!), off(y!), b, t, heads, hd / heads, csStride(i.cos!), 0);
      },
    ),
    [K.ropeHeadsGrad]: kernel(
      (i) => {
        const [b, heads, t, d] = i.dy!.shape as [number, number, number, number];
        return [{ shape: [b, t, heads * d] }];
      },
      (h, i, [dx], off) => {
        const [b, heads, t, d] = i.dy!.shape as [number, number, number, number];
        addon.ropeHeads(h, off(i.dy!), off(i.cos!), off(i.sin!), off(dx!), b, t, heads, d, csStride(i.cos!), 1);
      },
    ),
    [K.attnSoftmax]: kernel(
      (i) => [{ shape: i.scores!.shape }],
      (h, i, [p], off, a) => {
        const [b, heads, t, s] = i.scores!.shape as [number, number, number, number];
        const ms = i.mask!.shape[0] === 1 ? 0 : t * s;
        addon.attnSoftmax(h, off(i.scores!), off(i.mask!), off(p!), b, heads, t, s, a.scale as number, ms);
      },
    ),
    [K.attnSoftmaxGrad]: kernel(
      (i) => [{ shape: i.p!.shape }],
      (h, i, [ds], off, a) =>
        addon.attnSoftmaxGrad(h, off(i.dp!), off(i.p!), off(ds!), rows(i.p!), last(i.p!), a.scale as number),
    ),
    [K.crossEntropy]: kernel(
      (i) => [{ shape: [i.logits!.shape[0] as number] }, { shape: [i.logits!.shape[0] as number] }],
      (h, i, [loss, lse], off) => {
        const [n, v] = i.logits!.shape as [number, number];
        addon.crossEntropy(h, off(i.logits!), off(i.labels!), off(i.weights!), off(loss!), off(lse!), n, v);
      },
    ),
    [K.adamW]: kernel(
      (i) => [{ shape: i.param!.shape }, { shape: i.param!.shape }, { shape: i.param!.shape }],
      (h, i, [p, m, v], off, a) => {
        const first = !i.m;
        const [mOff, vOff] = first ? [0, 0] : [off(i.m!), off(i.v!)];
        const c = a as Record<string, number>;
        addon.adamW(
          h,
          off(i.param!),
          off(i.grad!),
          mOff,
          vOff,
          off(p!),
          off(m!),
          off(v!),
          size(p!.shape),
          c.decay!,
          c.b1!,
          c.omb1!,
          c.b2!,
          c.omb2!,
          c.bc2Sqrt!,
          c.eps!,
          c.step!,
          c.decays!,
          +first,
        );
      },
    ),
    [K.crossEntropyGrad]: kernel(
      (i) => [{ shape: i.logits!.shape }],
      (h, i, [dx], off) => {
        const [n, v] = i.logits!.shape as [number, number];
        const args = [off(i.dloss!), off(i.logits!), off(i.labels!), off(i.weights!), off(i.lse!), off(dx!)] as const;
        addon.crossEntropyGrad(h, ...args, n, v);
      },
    ),
  };
}

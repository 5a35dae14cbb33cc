// The "native" tfjs backend: the wasm backend's instance (its heap, its tensors and every kernel it
// has) under a second name, with the kernels that dominate training replaced by native ones that work
// on the same heap in place. Sharing the instance, not wrapping it, is deliberate: tfjs-backend-wasm
// binds its wasm functions into module-level variables, so a second wasm instance cannot coexist with
// the first, and tensors created on "wasm" are used by "native" without a copy (the engine sees the
// same backend object and never moves data). See docs/models.md, "The native CPU backend".
import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import type { WasmBackend } from "./heap.js";
import { BINARY_OPS, binaryKernel } from "./kernels/binary.js";
import { concatKernel, gatherKernel, sliceKernel, splitVKernel, transposeKernel } from "./kernels/copy.js";
import { batchMatMulKernel, fusedMatMulKernel } from "./kernels/matmul.js";
import { fusedKernels } from "./kernels/fused.js";
import { castKernel, identityKernel } from "./kernels/share.js";

export const NATIVE = "native";

function wasmKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`native backend: the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

/**
 * Registers the kernels (once per process) and the backend (again after tf.removeBackend). The wasm
 * backend must be initialised first: the factory returns its instance.
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (!tf.getKernel(tf.BatchMatMul, NATIVE)) registerKernels(addon);
  if (tf.findBackendFactory(NATIVE)) return;
  tf.registerBackend(NATIVE, () => {
    const wasm = tf.engine().registry.wasm as WasmBackend | undefined;
    if (!wasm) throw new Error("native backend: initialise the wasm backend first (useBackend('native') does)");
    shareDisposal(wasm);
    return wasm;
  });
}

function registerKernels(addon: NativeAddon): void {
  const overrides: Record<string, tf.KernelFunc> = {
    [tf.BatchMatMul]: batchMatMulKernel(addon, wasmKernel(tf.BatchMatMul)),
    [tf._FusedMatMul]: fusedMatMulKernel(addon, wasmKernel),
    [tf.Transpose]: transposeKernel(addon, wasmKernel(tf.Transpose)),
    [tf.Slice]: sliceKernel(addon, wasmKernel(tf.Slice)),
    [tf.SplitV]: splitVKernel(addon, wasmKernel(tf.SplitV)),
    [tf.Concat]: concatKernel(addon, wasmKernel(tf.Concat)),
    [tf.GatherV2]: gatherKernel(addon, wasmKernel(tf.GatherV2)),
    [tf.Identity]: identityKernel(wasmKernel(tf.Identity)),
    [tf.Cast]: castKernel(wasmKernel(tf.Cast)),
  };
  for (const [name, op] of Object.entries(BINARY_OPS)) overrides[name] = binaryKernel(addon, op, wasmKernel(name));
  for (const k of tf.getKernelsForBackend("wasm")) {
    const kernelFunc = overrides[k.kernelName] ?? k.kernelFunc;
    tf.registerKernel({ ...k, backendName: NATIVE, kernelFunc });
  }
  for (const [kernelName, kernelFunc] of Object.entries(fusedKernels(addon))) {
    tf.registerKernel({ kernelName, backendName: NATIVE, kernelFunc });
  }
}

const guarded = new WeakSet<object>();

/**
 * The engine disposes each registry entry on reset() and removeBackend(); with one instance under two
 * names, only the last name to go may really dispose it.
 */
function shareDisposal(backend: WasmBackend): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    const names = Object.values(tf.engine().registry).filter((b) => b === backend).length;
    if (names <= 1) dispose();
  };
}

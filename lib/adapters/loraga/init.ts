// LoRA-GA's initialisation (Wang et al. 2024, arXiv 2407.05000), shared by LoRA-GA and the
// hybrid: from the SVD of the estimated full-weight gradient G = U·S·Vᵀ, A and B are chosen so
// the first update approximates full fine-tuning's. Default "ArB2r": A = top-r right singular
// vectors (rows), B = the next r left ones; the "stable" scale multiplies both by out^{1/4}/√γ.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../../nn/linear.js";
import { normal } from "../../random/distributions.js";
import { mulberry32 } from "../../random/mulberry32.js";
import { checkRank, loraScale } from "../lora/layer.js";
import type { LoraConfig } from "../lora/method.js";
import { layerSeed } from "../seeded.js";
import { randomizedSvd } from "./randomized-svd.js";

export type LoraGaDirection = "ArB2r" | "A2rBr" | "ArBr" | "random";
export type LoraGaScale = "stable" | "gd" | "unit";

export interface LoraGaInitOptions {
  direction?: LoraGaDirection;
  scale?: LoraGaScale;
  /** γ of the stable scale (default 16). */
  gamma?: number;
  /** Power iterations of the randomized SVD (default 4). */
  niter?: number;
  /** Oversampled sketch width (default min(4r, in, out)). */
  sketch?: number;
}

export type LoraGaInitConfig = Required<Omit<LoraGaInitOptions, "sketch">> & Pick<LoraGaInitOptions, "sketch">;

/** A [r, in] and B [out, r] from the gradient g [out, in] (float64, row-major). */
export function loraGaFactors(
  layer: string,
  g: Float64Array,
  out: number,
  inF: number,
  r: number,
  scaling: number,
  opts: LoraGaInitConfig & { seed: number },
): { A: Float32Array; B: Float32Array } {
  const direction = opts.direction;
  if (2 * r > Math.min(out, inF))
    throw new Error(`loraga on ${layer}: needs 2r = ${2 * r} ≤ min(in ${inF}, out ${out})`);
  const q = Math.min(opts.sketch ?? 4 * r, out, inF);
  const svd = randomizedSvd(g, out, inF, Math.max(q, 2 * r), {
    niter: opts.niter,
    seed: layerSeed(opts.seed, layer),
  });
  const k = svd.k;
  // column indices of U (for B) and V (for A), per LoRA-GA's reference directions
  let aIdx: number[], bIdx: number[];
  const range = (s: number, e: number, step = 1) =>
    Array.from({ length: Math.ceil((e - s) / step) }, (_, i) => s + i * step);
  switch (direction) {
    case "ArB2r":
      aIdx = range(0, r);
      bIdx = range(r, 2 * r);
      break;
    case "A2rBr":
      aIdx = range(r, 2 * r);
      bIdx = range(0, r);
      break;
    case "ArBr":
      aIdx = range(1, 2 * r, 2);
      bIdx = range(0, 2 * r, 2);
      break;
    case "random": {
      const p = normal(2 * r, mulberry32(layerSeed(opts.seed + 1, layer)));
      const idx = range(0, 2 * r).sort((x, y) => (p[x] as number) - (p[y] as number));
      aIdx = idx.slice(0, r);
      bIdx = idx.slice(r);
      break;
    }
    default:
      throw new Error(`loraga: unknown direction '${direction as string}' (ArB2r, A2rBr, ArBr, random)`);
  }
  const A = new Float32Array(r * inF),
    B = new Float32Array(out * r);
  aIdx.forEach((c, i) => {
    for (let j = 0; j < inF; j++) A[i * inF + j] = svd.V[j * k + c] as number;
  });
  bIdx.forEach((c, i) => {
    for (let j = 0; j < out; j++) B[j * r + i] = svd.U[j * k + c] as number;
  });
  const scale = opts.scale;
  let f: number;
  if (scale === "stable") f = out ** 0.25 / Math.sqrt(opts.gamma);
  else if (scale === "gd") f = 1 / scaling;
  else if (scale === "unit") f = 1;
  else throw new Error(`loraga: unknown scale '${scale as string}' (stable, gd, unit)`);
  for (let i = 0; i < A.length; i++) A[i] = (A[i] as number) * f;
  for (let i = 0; i < B.length; i++) B[i] = (B[i] as number) * f;
  return { A, B };
}

/**
 * LoRA-GA's initial factors of one layer as tensors (kept: the caller owns them) and the LoRA
 * scale they were computed for, from dL/dW [out, in] of its weight.
 */
export function loraGaInit(
  name: string,
  linear: Linear,
  gradient: Float64Array,
  c: LoraConfig & LoraGaInitConfig,
  seed: number,
): { A0: tf.Tensor2D; B0: tf.Tensor2D; scale: number } {
  checkRank(name, c.r, linear.inFeatures, linear.outFeatures);
  const scale = loraScale(c.alpha, c.r, c.rslora);
  const { A, B } = loraGaFactors(name, gradient, linear.outFeatures, linear.inFeatures, c.r, scale, { ...c, seed });
  return {
    A0: tf.keep(tf.tensor2d(A, [c.r, linear.inFeatures])),
    B0: tf.keep(tf.tensor2d(B, [linear.outFeatures, c.r])),
    scale,
  };
}

// LoRA-GA (Wang et al. 2024, arXiv 2407.05000): LoRA initialised from the SVD of the
// estimated full-weight gradient G = U·S·Vᵀ so the first update approximates full fine-tuning's.
// Default "ArB2r": A = top-r right singular vectors (rows), B = the next r left ones;
// "stable" scale multiplies both by out^{1/4}/√γ; the frozen weight becomes W − s·B₀A₀ so
// the output is unchanged at step 0, and B₀, A₀ are kept to export against the original W.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";
import { LoraLayer, checkRank, loraScale, type LoraOptions } from "./lora.js";
import { randomizedSvd } from "./randomized-svd.js";
import { layerSeed, normal, rng } from "./seeded.js";
import type { AdapterContext } from "./types.js";

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

/** A [r, in] and B [out, r] from the gradient g [out, in] (float64, row-major). */
export function loraGaFactors(
  layer: string,
  g: Float64Array,
  out: number,
  inF: number,
  r: number,
  scaling: number,
  opts: LoraGaInitOptions & { seed: number },
): { A: Float32Array; B: Float32Array } {
  const direction = opts.direction ?? "ArB2r";
  if (2 * r > Math.min(out, inF))
    throw new Error(`loraga on ${layer}: needs 2r = ${2 * r} ≤ min(in ${inF}, out ${out})`);
  const q = Math.min(opts.sketch ?? 4 * r, out, inF);
  const svd = randomizedSvd(g, out, inF, Math.max(q, 2 * r), {
    niter: opts.niter ?? 4,
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
      const p = normal(2 * r, rng(layerSeed(opts.seed + 1, layer)));
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
  const scale = opts.scale ?? "stable";
  let f: number;
  if (scale === "stable") f = out ** 0.25 / Math.sqrt(opts.gamma ?? 16);
  else if (scale === "gd") f = 1 / scaling;
  else if (scale === "unit") f = 1;
  else throw new Error(`loraga: unknown scale '${scale as string}' (stable, gd, unit)`);
  for (let i = 0; i < A.length; i++) A[i] = (A[i] as number) * f;
  for (let i = 0; i < B.length; i++) B[i] = (B[i] as number) * f;
  return { A, B };
}

export type LoraGaLayerOptions = LoraOptions & LoraGaInitOptions;

/** LoRA layer with gradient-derived init; owns the offset it subtracts from the frozen weight. */
export class LoraGaLayer extends LoraLayer {
  private a0: tf.Tensor2D;
  private b0: tf.Tensor2D;
  private readonly original: tf.Tensor2D;

  constructor(
    layer: string,
    private readonly linear: Linear,
    g: Float64Array,
    opts: LoraGaLayerOptions & { seed: number; prefix: string },
    ctx: AdapterContext,
  ) {
    const r = opts.r ?? 8;
    checkRank(layer, r, linear.inFeatures, linear.outFeatures);
    const rslora = opts.rslora ?? true;
    const scaling = loraScale(opts.alpha ?? 16, r, rslora);
    const { A, B } = loraGaFactors(layer, g, linear.outFeatures, linear.inFeatures, r, scaling, opts);
    const A0 = tf.keep(tf.tensor2d(A, [r, linear.inFeatures]));
    const B0 = tf.keep(tf.tensor2d(B, [linear.outFeatures, r]));
    super(
      layer,
      linear.inFeatures,
      linear.outFeatures,
      { ...opts, rslora, r, branch: "loraga", init: { A: A0, B: B0 } },
      ctx,
    );
    this.a0 = A0;
    this.b0 = B0;
    this.original = tf.keep(linear.weight.clone() as tf.Tensor2D);
    const residual = this.offsetWeight(A0, B0);
    linear.weight.assign(residual);
    residual.dispose();
  }

  /** The gradient-derived initial factors. */
  get A0(): tf.Tensor2D {
    return this.a0;
  }

  get B0(): tf.Tensor2D {
    return this.b0;
  }

  /** The base weight before the offset: what detach() puts back. */
  get originalWeight(): tf.Tensor2D {
    return this.original;
  }

  /** The frozen weight W − s·B₀A₀ these factors give (a new tensor; the layer is unchanged). */
  offsetWeight(A0: tf.Tensor2D, B0: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sub(this.original, tf.mul(tf.matMul(B0, A0), this.scale)));
  }

  /**
   * Replaces B₀, A₀ (with a checkpoint's, for an exact resume) and the frozen weight with
   * `offset` = offsetWeight(A0, B0); the layer takes ownership of the three tensors.
   */
  restoreInit(A0: tf.Tensor2D, B0: tf.Tensor2D, offset: tf.Tensor2D): void {
    this.linear.weight.assign(offset);
    offset.dispose();
    this.a0.dispose();
    this.b0.dispose();
    this.a0 = tf.keep(A0);
    this.b0 = tf.keep(B0);
  }

  /** The change relative to the ORIGINAL weight in rank-2r form: [scale·B, −scale·B₀]·[A; A₀]. */
  converted(): { A: tf.Tensor2D; B: tf.Tensor2D } {
    return tf.tidy(() => ({
      A: tf.concat([this.A, this.A0], 0) as tf.Tensor2D,
      B: tf.mul(tf.concat([this.B, tf.neg(this.B0)], 1), this.scale) as tf.Tensor2D,
    }));
  }

  /** Puts the original weight back (detach). */
  restoreBase(): void {
    this.linear.weight.assign(this.original);
  }

  override state(): Map<string, tf.Tensor> {
    const c = this.converted();
    return new Map<string, tf.Tensor>([
      ["lora_A.weight", c.A],
      ["lora_B.weight", c.B],
    ]);
  }

  override dispose(): void {
    super.dispose();
    this.A0.dispose();
    this.B0.dispose();
    this.original.dispose();
  }
}

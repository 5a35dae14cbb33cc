// LoRA-GA (Wang et al. 2024, arXiv 2407.05000): LoRA initialised from the estimated full-weight
// gradient (init.ts); the frozen weight becomes W − s·B₀A₀ so the output is unchanged at step 0,
// and B₀, A₀ are kept to export against the original W.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../../nn/linear.js";
import { LoraLayer } from "../lora/layer.js";
import type { LoraConfig } from "../lora/method.js";
import type { AdapterContext } from "../types.js";
import { loraGaInit, type LoraGaInitConfig } from "./init.js";

/** LoRA layer with gradient-derived init; owns the offset it subtracts from the frozen weight. */
export class LoraGaLayer extends LoraLayer {
  private a0: tf.Tensor2D;
  private b0: tf.Tensor2D;
  private readonly original: tf.Tensor2D;

  constructor(
    layer: string,
    private readonly linear: Linear,
    g: Float64Array,
    c: LoraConfig & LoraGaInitConfig,
    opts: { seed: number; prefix: string },
    ctx: AdapterContext,
  ) {
    const { A0, B0, scale } = loraGaInit(layer, linear, g, c, opts.seed);
    super(
      layer,
      linear.inFeatures,
      linear.outFeatures,
      { r: c.r, scale, dropout: c.dropout, ...opts, branch: "loraga", init: { A: A0, B: B0 } },
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

  /** Puts the original weight back (detach()). */
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

  /** Also puts the original weight back: a disposed layer leaves its Linear as it found it. */
  override dispose(): void {
    this.restoreBase();
    super.dispose();
    this.A0.dispose();
    this.B0.dispose();
    this.original.dispose();
  }
}

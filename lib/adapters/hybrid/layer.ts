// The paper's hybrid: BOFT and LoRA-GA on one weight, mixed per layer,
//   W_eff = W + λ·(diag(s)·W·Rᵀ − W) + (1 − λ)·scale·(B·A − B₀·A₀),
// λ a constant of each step set by the gate from gradient norms. The base weight is left
// intact (unlike plain LoRA-GA): subtracting B₀A₀ inside the branch gives the same function
// and keeps the BOFT branch rotating the true W.
import * as tf from "@tensorflow/tfjs";
import { matMul } from "../../backend/matmul.js";
import type { Linear } from "../../nn/linear.js";
import type { ParameterGroup } from "../../nn/module.js";
import type { BoftLayer } from "../boft/layer.js";
import type { LoraLayer } from "../lora/layer.js";
import type { LayerAdapter } from "../types.js";

export class HybridLayer implements LayerAdapter {
  lambda: number;

  constructor(
    readonly layer: string,
    private readonly linear: Linear,
    readonly boft: BoftLayer,
    readonly lora: LoraLayer,
    /** LoRA-GA's initial factors; null when loaded from a file in converted form. */
    private offset: { A0: tf.Tensor2D; B0: tf.Tensor2D } | null,
    lambda: number,
  ) {
    this.lambda = lambda;
  }

  /** scale·(B·A − B₀·A₀)·x */
  private loraChange(flat: tf.Tensor2D): tf.Tensor2D {
    if (!this.offset) return this.lora.delta(flat);
    const { A0, B0 } = this.offset;
    if (!this.lora.dropsInput) {
      // One rank-2r product: scale·[B, −B₀]·([A; A₀]·x), half the products of two branches.
      const a = tf.concat([this.lora.A, A0], 0);
      const b = tf.concat([this.lora.B, tf.neg(B0)], 1);
      return tf.mul(matMul(matMul(flat, a, false, true), b, false, true), this.lora.scale) as tf.Tensor2D;
    }
    // With dropout the trained branch sees a masked input and the fixed offset the plain one.
    const d0 = tf.mul(matMul(matMul(flat, A0, false, true), B0, false, true), this.lora.scale);
    return tf.sub(this.lora.delta(flat), d0) as tf.Tensor2D;
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lam = this.lambda;
      const flat = tf.reshape(x, [-1, this.linear.inFeatures]) as tf.Tensor2D;
      const yBase = base(flat);
      const yBoft = this.boft.boftOutput(flat, base);
      const y = tf.add(tf.mul(tf.add(yBase, this.loraChange(flat)), 1 - lam), tf.mul(yBoft, lam));
      return tf.reshape(y, [...x.shape.slice(0, -1), this.linear.outFeatures]);
    });
  }

  groups(): ParameterGroup[] {
    return [...this.boft.groups(), ...this.lora.groups()];
  }

  loraDeltaWeight(): tf.Tensor2D {
    return tf.tidy(() => {
      const d = this.lora.deltaWeight();
      if (!this.offset) return d;
      return tf.sub(d, tf.mul(tf.matMul(this.offset.B0, this.offset.A0), this.lora.scale)) as tf.Tensor2D;
    });
  }

  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const lam = this.lambda;
      return tf.addN([
        tf.mul(w, 1 - lam),
        tf.mul(this.boft.mergedWeight(w), lam),
        tf.mul(this.loraDeltaWeight(), 1 - lam),
      ]) as tf.Tensor2D;
    });
  }

  /** Own format: BOFT tensors under PEFT's names, the LoRA-GA change in rank-2r converted form, λ. */
  state(): Map<string, tf.Tensor> {
    const out = this.boft.state();
    tf.tidy(() => {
      const A = this.offset ? tf.concat([this.lora.A, this.offset.A0], 0) : this.lora.A.clone();
      const B = this.offset
        ? tf.mul(tf.concat([this.lora.B, tf.neg(this.offset.B0)], 1), this.lora.scale)
        : tf.mul(this.lora.B, this.lora.scale);
      out.set("lora_A.weight", tf.keep(A));
      out.set("lora_B.weight", tf.keep(B));
    });
    out.set("hybrid_lambda", tf.tensor1d([this.lambda]));
    return out;
  }

  /** LoRA-GA's initial factors B₀, A₀ (null for a hybrid loaded from a file): checkpoint state. */
  get initFactors(): { A0: tf.Tensor2D; B0: tf.Tensor2D } | null {
    return this.offset;
  }

  /** Replaces B₀, A₀ with a checkpoint's, for an exact resume; the layer takes ownership of them. */
  restoreInitFactors(A0: tf.Tensor2D, B0: tf.Tensor2D): void {
    if (!this.offset) throw new Error(`hybrid ${this.layer}: loaded from a file, it has no initial factors to restore`);
    this.offset.A0.dispose();
    this.offset.B0.dispose();
    this.offset = { A0: tf.keep(A0), B0: tf.keep(B0) };
  }

  /** Only for hybrids built from a file (no offset, LoRA scale 1). */
  setState(values: Map<string, tf.Tensor>): void {
    this.boft.setState(values);
    this.lora.setState(values);
    this.lambda = (values.get("hybrid_lambda") as tf.Tensor).dataSync()[0] as number;
  }

  dispose(): void {
    this.boft.dispose();
    this.lora.dispose();
    this.offset?.A0.dispose();
    this.offset?.B0.dispose();
  }
}

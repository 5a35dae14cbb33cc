// BOFT (Liu et al. 2023, arXiv 2311.06243) with PEFT's placement: W' = diag(s)·W·Rᵀ, i.e.
// y = s ⊙ (W·Rᵀx) + b — the rotation acts on the input side and s scales the output before
// the bias (PEFT multiplies the weight rows, not the bias). R = M_{m−1}···M_0 from Cayley
// blocks, applied to activations (row vectors: x ↦ x·R) without forming a d×d matrix.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../../nn/linear.js";
import type { ParameterGroup } from "../../nn/module.js";
import type { LayerAdapter } from "../types.js";
import { variable } from "../variables.js";
import { ButterflyPlan, butterflyShape, type ButterflyShape } from "./butterfly.js";
import { cayley } from "./cayley.js";

/** The butterfly as configured: block size or count (0 = not given, as PEFT) and the factor count. */
export interface BoftShapeConfig {
  blockSize: number;
  blockNum: number;
  factors: number;
}

export class BoftLayer implements LayerAdapter {
  readonly R: tf.Variable;
  readonly s: tf.Variable;
  readonly shape: ButterflyShape;
  readonly plan: ButterflyPlan;

  constructor(
    readonly layer: string,
    private readonly linear: Linear,
    opts: BoftShapeConfig & { prefix: string },
  ) {
    this.shape = butterflyShape(layer, linear.inFeatures, opts);
    const { factors, blockNum, blockSize } = this.shape;
    this.plan = new ButterflyPlan(linear.inFeatures, this.shape);
    this.R = variable(opts.prefix, `${layer}.boft_R`, tf.zeros([factors, blockNum, blockSize, blockSize]));
    this.s = variable(opts.prefix, `${layer}.boft_s`, tf.ones([linear.outFeatures, 1]));
  }

  /** Orthogonal blocks [m, blockNum, b, b]. */
  blocks(): tf.Tensor4D {
    return tf.tidy(() => {
      const { factors, blockNum, blockSize } = this.shape;
      const q = cayley(tf.reshape(this.R, [factors * blockNum, blockSize, blockSize]) as tf.Tensor3D);
      return tf.reshape(q, [factors, blockNum, blockSize, blockSize]) as tf.Tensor4D;
    });
  }

  /** x [N, in] ↦ x·R: each row becomes (Rᵀx)ᵀ, the input PEFT's W·Rᵀ sees. */
  rotate(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.plan.apply(x, this.blocks()));
  }

  /** The dense R [in, in] (for tests, merging and export only; never used in forward). */
  rotation(): tf.Tensor2D {
    // Row i of I·R is row i of R.
    return tf.tidy(() => this.rotate(tf.eye(this.linear.inFeatures) as tf.Tensor2D));
  }

  /** s ⊙ (W·Rᵀx) + b computed from the frozen base on rotated inputs. */
  boftOutput(flat: tf.Tensor2D, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor2D {
    const y = base(this.rotate(flat)) as tf.Tensor2D;
    const s = tf.reshape(this.s, [-1]);
    let out = tf.mul(y, s);
    // base added b; s must not scale it: s⊙(Wz + b) + (1 − s)⊙b = s⊙Wz + b.
    if (this.linear.bias) out = tf.add(out, tf.mul(tf.sub(1, s), this.linear.bias));
    return out as tf.Tensor2D;
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(x, [-1, this.linear.inFeatures]) as tf.Tensor2D;
      const y = this.boftOutput(flat, base);
      return tf.reshape(y, [...x.shape.slice(0, -1), this.linear.outFeatures]);
    });
  }

  groups(): ParameterGroup[] {
    return [{ layer: this.layer, branch: "boft", variables: [this.R, this.s] }];
  }

  /** diag(s)·W·Rᵀ, PEFT's merged weight. */
  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(w, this.rotation(), false, true), this.s));
  }

  state(): Map<string, tf.Tensor> {
    return new Map<string, tf.Tensor>([
      ["boft_R", this.R.clone()],
      ["boft_s", this.s.clone()],
    ]);
  }

  setState(values: Map<string, tf.Tensor>): void {
    this.R.assign(values.get("boft_R") as tf.Tensor);
    this.s.assign(values.get("boft_s") as tf.Tensor);
  }

  dispose(): void {
    this.R.dispose();
    this.s.dispose();
    this.plan.dispose();
  }
}

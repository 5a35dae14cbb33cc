// The one place where a projection's base computation lives. Adapters never replace a
// Linear; they install themselves in its `adapter` slot and receive the base forward as a
// function, so every method composes with the same models and the same merge logic.
import * as tf from "@tensorflow/tfjs";
import { matMul } from "../backend/matmul.js";

/** Hook an adapter installs on a Linear. */
export interface LinearAdapter {
  /**
   * Output of the adapted layer for input x [..., in]. `base` computes the frozen layer
   * (x·Wᵀ + b) for any input, so input-side methods (BOFT, uRNN) call base(transform(x)).
   */
  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor;
}

/** How the weight is laid out in checkpoints: nn.Linear [out, in] or GPT-2's Conv1D [in, out]. */
export type WeightLayout = "linear" | "conv1d";

export class Linear {
  adapter: LinearAdapter | null = null;

  /**
   * @param name Hugging Face module path, e.g. `model.layers.3.self_attn.q_proj`.
   * @param weight always [out, in] in memory, whatever the checkpoint layout.
   */
  constructor(
    readonly name: string,
    public weight: tf.Variable,
    public bias: tf.Variable | null = null,
    readonly layout: WeightLayout = "linear",
  ) {
    if (weight.rank !== 2) {
      throw new Error(`${name}.weight: expected a rank-2 tensor [out, in], found shape [${weight.shape.join(", ")}]`);
    }
    if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
      throw new Error(`${name}.bias: expected shape [${weight.shape[0]}], found [${bias.shape.join(", ")}]`);
    }
  }

  get outFeatures(): number {
    return this.weight.shape[0] as number;
  }

  get inFeatures(): number {
    return this.weight.shape[1] as number;
  }

  /** The frozen layer: x·Wᵀ + b for x of any rank >= 1 with last dim = in. */
  baseForward(x: tf.Tensor): tf.Tensor {
    return this.forwardWith(x, this.weight);
  }

  /**
   * x·weightᵀ + b: the frozen layer's own path (bias included) with a weight an adapter derived
   * from W, [out, in] like W (the uRNN adapter's W·U).
   */
  forwardWith(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const flat = x.reshape([-1, this.inFeatures]) as tf.Tensor2D;
      // Not tf.matMul(.., transposeB): on wasm that path and its gradient are ~6x slower.
      let y: tf.Tensor = matMul(flat, weight, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return y.reshape([...lead, this.outFeatures]);
    });
  }

  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(
        `${this.name}: input last dimension ${x.shape[x.rank - 1]} does not match in_features ${this.inFeatures}`,
      );
    }
    return this.adapter ? this.adapter.forward(x, (z) => this.baseForward(z)) : this.baseForward(x);
  }
}

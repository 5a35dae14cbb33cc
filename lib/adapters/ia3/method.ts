// (IA)³ (Liu et al. 2022) in PEFT's feed-forward form: a learned vector l rescales the layer's
// input, y = W·(l ⊙ x) + b, l = 1 at init. Merged: W' = W·diag(l). DEMO of adding a method.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../../nn/linear.js";
import type { ParameterGroup } from "../../nn/module.js";
import type { AdapterMethod } from "../method.js";
import type { LayerAdapter } from "../types.js";
import { variable } from "../variables.js";

export class Ia3Layer implements LayerAdapter {
  readonly l: tf.Variable;

  constructor(
    readonly layer: string,
    linear: Linear,
    prefix: string,
  ) {
    this.l = variable(prefix, `${layer}.ia3_l`, tf.ones([linear.inFeatures]));
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => base(tf.mul(x, this.l)));
  }

  groups(): ParameterGroup[] {
    return [{ layer: this.layer, branch: "ia3", variables: [this.l] }];
  }

  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.mul(w, this.l));
  }

  state(): Map<string, tf.Tensor> {
    return new Map([["ia3_l", this.l.clone()]]);
  }

  setState(values: Map<string, tf.Tensor>): void {
    this.l.assign(values.get("ia3_l") as tf.Tensor);
  }

  dispose(): void {
    this.l.dispose();
  }
}

// biome-ignore lint/complexity/noBannedTypes: (IA)³ has no options of its own
export type Ia3Options = {};

export const ia3Method: AdapterMethod<"ia3", Ia3Options, Record<string, never>, Ia3Layer> = {
  name: "ia3",
  title: "(IA)³ (Liu et al. 2022): a learned per-feature scale of the layer's input",
  peftType: "IA3",
  optionKeys: [],
  gradientInit: false,
  config: () => ({}),
  layer: ({ name, linear, prefix }) => new Ia3Layer(name, linear, prefix),
  peftConfig: (_c) => ({ init_ia3_weights: true }),
  fromPeft: () => ({ config: {} }),
  suffixes: ["ia3_l"],
  checkpoint: {},
  experiment: { lr: { head: 5e-3, lm: 2e-2 }, settings: {} },
};

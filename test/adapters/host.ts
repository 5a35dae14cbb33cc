// A tiny MLP LinearHost for adapter tests: fast, and every invariant reads the same on it.
import * as tf from "@tensorflow/tfjs";
import { Linear } from "../../lib/nn/linear.js";
import type { LinearHost, ParameterHost } from "../../lib/nn/module.js";
import { mulberry32 } from "../../lib/random/mulberry32.js";

let made = 0;

export function seededArray(n: number, seed: number, scale = 1): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

export class Mlp implements LinearHost, ParameterHost {
  readonly layers: Linear[];

  /** dims e.g. [16, 32, 16]: Linear i maps dims[i] → dims[i+1]; names like an HF MLP. */
  constructor(
    readonly dims: number[],
    seed: number,
  ) {
    made += 1;
    const count = dims.length - 1;
    const names = Array.from({ length: count }, (_, i) =>
      i === 0 ? "mlp.up_proj" : i === count - 1 ? "mlp.down_proj" : `mlp.mid${i}_proj`,
    );
    this.layers = dims.slice(1).map((out, i) => {
      const inF = dims[i] as number;
      const w = tf.variable(
        tf.tensor2d(seededArray(out * inF, seed * 31 + i, 1 / Math.sqrt(inF)), [out, inF]),
        true,
        `mlp${made}.${names[i]}.weight`,
      );
      const b = tf.variable(tf.tensor1d(seededArray(out, seed * 57 + i, 0.1)), true, `mlp${made}.${names[i]}.bias`);
      return new Linear(`model.${names[i]}`, w, b);
    });
  }

  linears(): Map<string, Linear> {
    return new Map(this.layers.map((l) => [l.name, l]));
  }

  namedParameters(): Map<string, tf.Variable> {
    const m = new Map<string, tf.Variable>();
    for (const l of this.layers) {
      m.set(`${l.name}.weight`, l.weight);
      if (l.bias) m.set(`${l.name}.bias`, l.bias);
    }
    return m;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      this.layers.forEach((l, i) => {
        h = l.apply(h);
        if (i < this.layers.length - 1) h = tf.tanh(h);
      });
      return h;
    });
  }

  dispose(): void {
    for (const l of this.layers) {
      l.weight.dispose();
      l.bias?.dispose();
    }
  }
}

export function inputs(rows: number, dim: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(seededArray(rows * dim, seed), [rows, dim]);
}

export function mse(model: Mlp, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(model.forward(x), y))) as tf.Scalar);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

// Tiny models and tasks for trainer tests: a two-layer MLP over one-hot tokens made of the
// project's Linear, learning next = (3·x + 1) mod V, and a minimal LoRA-style trainable.
import * as tf from "@tensorflow/tfjs";
import { Linear, type LinearAdapter } from "../../lib/nn/linear.js";
import type { LinearHost, ParameterGroup, ParameterHost, TrainableSet } from "../../lib/nn/module.js";
import { shuffledBatches, type BatchSource } from "../../lib/train/data.js";

export const VOCAB = 8;

// tfjs variable names are global: each model instance gets its own.
let instances = 0;

export class TinyMlp implements LinearHost, ParameterHost {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(seed: number, hidden = 16, vocab = VOCAB) {
    const uid = instances++;
    const w = (name: string, shape: [number, number], s: number) =>
      tf.variable(tf.randomNormal(shape, 0, 1 / Math.sqrt(shape[1]), "float32", s), true, name);
    this.fc1 = new Linear(
      "model.fc1",
      w(`tiny${seed}_${uid}.fc1.weight`, [hidden, vocab], seed),
      tf.variable(tf.zeros([hidden]), true, `tiny${seed}_${uid}.fc1.bias`),
    );
    this.fc2 = new Linear("model.fc2", w(`tiny${seed}_${uid}.fc2.weight`, [vocab, hidden], seed + 1), null);
  }

  linears(): Map<string, Linear> {
    return new Map([
      [this.fc1.name, this.fc1],
      [this.fc2.name, this.fc2],
    ]);
  }

  namedParameters(): Map<string, tf.Variable> {
    return new Map([
      ["model.fc1.weight", this.fc1.weight],
      ["model.fc1.bias", this.fc1.bias!],
      ["model.fc2.weight", this.fc2.weight],
    ]);
  }

  logits(x: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.apply(tf.tanh(this.fc1.apply(tf.oneHot(x, VOCAB).toFloat()))) as tf.Tensor2D);
  }

  loss(batch: Batch): tf.Scalar {
    return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(batch.y, VOCAB), this.logits(batch.x)) as tf.Scalar);
  }

  dispose(): void {
    for (const v of this.namedParameters().values()) v.dispose();
  }
}
export interface Batch {
  x: tf.Tensor1D;
  y: tf.Tensor1D;
}

/** Examples i -> (i mod V, (3·(i mod V) + 1) mod V), shuffled per epoch. */
export function tinyData(seed: number, batchSize: number, size = 64): BatchSource<Batch> {
  return shuffledBatches({
    size,
    batchSize,
    seed,
    collate: (idx) => {
      const xs = idx.map((i) => i % VOCAB);
      return {
        x: tf.tensor1d(xs, "int32"),
        y: tf.tensor1d(
          xs.map((v) => (3 * v + 1) % VOCAB),
          "int32",
        ),
      };
    },
  });
}

/** A minimal LoRA: W x + (α/r)·B A x with A random, B zero; only A and B train. */
export function tinyLora(host: LinearHost, r = 2, seed = 7): TrainableSet & { detach(): void } {
  const groups: ParameterGroup[] = [];
  const linears = [...host.linears().values()];
  let k = 0;
  for (const lin of linears) {
    const a = tf.variable(tf.randomNormal([r, lin.inFeatures], 0, 0.5, "float32", seed + k++), true);
    const b = tf.variable(tf.zeros([lin.outFeatures, r]), true);
    const adapter: LinearAdapter = {
      forward: (x, base) =>
        tf.tidy(() => {
          const flat = x.reshape([-1, lin.inFeatures]);
          const delta = tf.matMul(tf.matMul(flat, a, false, true), b, false, true).mul(2 / r);
          return tf.add(base(x), delta.reshape([...x.shape.slice(0, -1), lin.outFeatures]));
        }),
    };
    lin.adapter = adapter;
    groups.push({ layer: lin.name, branch: "lora", variables: [a, b] });
  }
  return {
    groups: () => groups,
    detach() {
      for (const lin of linears) lin.adapter = null;
      for (const g of groups) for (const v of g.variables) v.dispose();
    },
  };
}

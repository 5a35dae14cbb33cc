// LoRA (Hu et al. 2021): y = W x + b + scale·B·A·dropout(x), scale = alpha/r, or alpha/√r with
// rsLoRA. A is Kaiming-uniform with a = √5 as PEFT (bound 1/√in), B is zero, so the adapted
// layer starts equal to the base. LoRA-GA and the hybrid reuse this layer with gradient-derived
// A and B.
import * as tf from "@tensorflow/tfjs";
import type { ParameterGroup } from "../../nn/module.js";
import { uniform } from "../../random/distributions.js";
import { mulberry32 } from "../../random/mulberry32.js";
import { layerSeed } from "../seeded.js";
import type { AdapterContext, LayerAdapter } from "../types.js";
import { variable } from "../variables.js";

export function loraScale(alpha: number, r: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(r) : alpha / r;
}

export function checkRank(layer: string, r: number, inF: number, outF: number): void {
  if (!Number.isInteger(r) || r < 1) throw new Error(`lora on ${layer}: rank r must be a positive integer, found ${r}`);
  if (r > Math.min(inF, outF)) throw new Error(`lora on ${layer}: rank r ${r} exceeds min(in ${inF}, out ${outF})`);
}

/** How one LoRA layer is built: rank, scale and dropout resolved by the caller's method. */
export interface LoraLayerSpec {
  r: number;
  scale: number;
  dropout: number;
  seed: number;
  prefix: string;
  /** Group label: "lora", or "loraga" when LoRA-GA or the hybrid use this layer. */
  branch?: string;
  /** Initial factors (copied) instead of Kaiming-uniform A and zero B. */
  init?: { A: tf.Tensor2D; B: tf.Tensor2D };
}

export class LoraLayer implements LayerAdapter {
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  readonly scale: number;
  readonly dropout: number;
  /** Group label: "lora", or "loraga" when LoRA-GA or the hybrid use this layer. */
  readonly branch: string;

  constructor(
    readonly layer: string,
    inF: number,
    outF: number,
    opts: LoraLayerSpec,
    private readonly ctx: AdapterContext,
  ) {
    const r = opts.r;
    checkRank(layer, r, inF, outF);
    this.scale = opts.scale;
    this.dropout = opts.dropout;
    const bound = 1 / Math.sqrt(inF);
    const a = opts.init
      ? opts.init.A.clone()
      : tf.tensor2d(uniform(r * inF, -bound, bound, mulberry32(layerSeed(opts.seed, layer))), [r, inF]);
    const b = opts.init ? opts.init.B.clone() : tf.zeros([outF, r]);
    this.branch = opts.branch ?? "lora";
    this.A = variable(opts.prefix, `${layer}.lora_A`, a);
    this.B = variable(opts.prefix, `${layer}.lora_B`, b);
  }

  /** Whether the next delta() draws a dropout mask (training mode and dropout > 0). */
  get dropsInput(): boolean {
    return this.ctx.training && this.dropout > 0;
  }

  /** scale·B·A·x for x [N, in] (the branch alone). */
  delta(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    if (this.dropsInput) {
      this.ctx.dropoutCalls += 1;
      h = tf.dropout(x, this.dropout, undefined, this.ctx.seed * 1000003 + this.ctx.dropoutCalls) as tf.Tensor2D;
    }
    const ax = tf.matMul(h, this.A as tf.Tensor2D, false, true);
    return tf.mul(tf.matMul(ax, this.B as tf.Tensor2D, false, true), this.scale);
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const d = x.shape[x.rank - 1] as number;
      const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D;
      const y = base(flat) as tf.Tensor2D;
      const out = tf.add(y, this.delta(flat));
      return tf.reshape(out, [...x.shape.slice(0, -1), y.shape[1] as number]);
    });
  }

  groups(): ParameterGroup[] {
    return [{ layer: this.layer, branch: this.branch, variables: [this.A, this.B] }];
  }

  deltaWeight(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.B as tf.Tensor2D, this.A as tf.Tensor2D), this.scale));
  }

  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(w, this.deltaWeight()));
  }

  state(): Map<string, tf.Tensor> {
    return new Map<string, tf.Tensor>([
      ["lora_A.weight", this.A.clone()],
      ["lora_B.weight", this.B.clone()],
    ]);
  }

  setState(values: Map<string, tf.Tensor>): void {
    this.A.assign(values.get("lora_A.weight") as tf.Tensor);
    this.B.assign(values.get("lora_B.weight") as tf.Tensor);
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
  }
}

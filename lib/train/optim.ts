// Optimisers over tf.Variables with explicit, checkpointable state. The update rules follow
// torch.optim.AdamW and torch.optim.SGD (1.13) line by line, so runs can be compared with
// PyTorch references; tfjs's own optimisers hide their state and differ in details.
import * as tf from "@tensorflow/tfjs";
import { fusedAdamW } from "../backend/fused.js";
import type { TensorToWrite } from "../io/safetensors.js";

/** One parameter to update; `key` is stable across processes (used in checkpoints). */
export interface ParamGrad {
  key: string;
  variable: tf.Variable;
  grad: tf.Tensor;
}

/** Everything an optimiser needs to continue exactly where it stopped. */
export interface OptimizerState {
  /** Per-parameter step counts and other small numbers. */
  scalars: Record<string, number>;
  /** Buffers named `${key}.${buffer}`. */
  tensors: Map<string, TensorToWrite>;
}

export interface Optimizer {
  readonly name: string;
  /** Base learning rate; the schedule multiplies it. */
  readonly lr: number;
  /** Updates the variables in place with the given learning rate for this step. */
  apply(params: ParamGrad[], lr: number): void;
  /** A host copy of the state (for checkpoints). */
  getState(): Promise<OptimizerState>;
  /** Replaces the state; `shapes` of the live variables check that the state fits them. */
  setState(state: OptimizerState, shapes: Map<string, number[]>): void;
  /** Number of tensor bytes held by the state. */
  stateBytes(): number;
  dispose(): void;
}

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (torch default 0.01). */
  weightDecay?: number;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

abstract class BufferedOptimizer implements Optimizer {
  abstract readonly name: string;
  abstract readonly lr: number;
  protected readonly buffers = new Map<string, tf.Tensor>();
  protected readonly steps = new Map<string, number>();

  abstract apply(params: ParamGrad[], lr: number): void;

  protected setBuffer(name: string, t: tf.Tensor): void {
    const old = this.buffers.get(name);
    this.buffers.set(name, tf.keep(t));
    if (old && old !== t) old.dispose();
  }

  async getState(): Promise<OptimizerState> {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of this.buffers) {
      tensors.set(name, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
    }
    const scalars: Record<string, number> = {};
    for (const [key, s] of this.steps) scalars[`${key}.step`] = s;
    return { scalars, tensors };
  }

  setState(state: OptimizerState, shapes: Map<string, number[]>): void {
    for (const [name, t] of state.tensors) {
      const key = name.slice(0, name.lastIndexOf("."));
      const want = shapes.get(key);
      if (!want) throw new Error(`${this.name} state: buffer '${name}' belongs to no trainable parameter`);
      if (want.join(",") !== t.shape.join(",")) {
        throw new Error(
          `${this.name} state: buffer '${name}' has shape [${t.shape.join(", ")}], parameter '${key}' has [${want.join(", ")}]`,
        );
      }
    }
    this.dispose();
    for (const [name, t] of state.tensors) this.buffers.set(name, tf.keep(tf.tensor(t.data, t.shape, "float32")));
    for (const [k, v] of Object.entries(state.scalars)) {
      if (k.endsWith(".step")) this.steps.set(k.slice(0, -5), v);
    }
  }

  stateBytes(): number {
    let n = 0;
    for (const t of this.buffers.values()) n += t.size * 4;
    return n;
  }

  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
    this.steps.clear();
  }
}

/** torch.optim.AdamW: decay the weights by lr·wd, then the Adam step with bias correction. */
export class AdamW extends BufferedOptimizer {
  readonly name = "AdamW";
  readonly lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;

  constructor(opts: AdamWOptions) {
    super();
    this.lr = checkRate("AdamW", opts.lr);
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.wd = opts.weightDecay ?? 0.01;
    for (const [k, v] of [
      ["beta1", this.b1],
      ["beta2", this.b2],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`AdamW.${k}: expected a value in [0, 1), found ${v}`);
    }
  }

  apply(params: ParamGrad[], lr: number): void {
    for (const { key, variable, grad } of params) {
      const step = (this.steps.get(key) ?? 0) + 1;
      this.steps.set(key, step);
      const m0 = this.buffers.get(`${key}.exp_avg`);
      const v0 = this.buffers.get(`${key}.exp_avg_sq`);
      const bc1 = 1 - this.b1 ** step;
      const bc2Sqrt = Math.sqrt(1 - this.b2 ** step);
      // One pass where the backend has the kernel (native), bit for bit the composition below.
      const fused = fusedAdamW(variable, grad, m0 ?? null, v0 ?? null, {
        ...{ decay: 1 - lr * this.wd, decays: this.wd !== 0, b1: this.b1, b2: this.b2 },
        ...{ omb1: 1 - this.b1, omb2: 1 - this.b2, bc2Sqrt, eps: this.eps, step: lr / bc1 },
      });
      if (fused) {
        variable.assign(fused[0]);
        fused[0].dispose();
        this.setBuffer(`${key}.exp_avg`, fused[1]);
        this.setBuffer(`${key}.exp_avg_sq`, fused[2]);
        continue;
      }
      const [m, v] = tf.tidy(() => {
        const decayed = this.wd !== 0 ? tf.mul(variable, 1 - lr * this.wd) : variable;
        const m = m0 ? tf.add(tf.mul(m0, this.b1), tf.mul(grad, 1 - this.b1)) : tf.mul(grad, 1 - this.b1);
        const g2 = tf.mul(grad, grad);
        const v = v0 ? tf.add(tf.mul(v0, this.b2), tf.mul(g2, 1 - this.b2)) : tf.mul(g2, 1 - this.b2);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
        variable.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
        return [m, v];
      });
      this.setBuffer(`${key}.exp_avg`, m);
      this.setBuffer(`${key}.exp_avg_sq`, v);
    }
  }
}

/** torch.optim.SGD: L2 weight decay added to the gradient, momentum buffer seeded with the first gradient. */
export class SGD extends BufferedOptimizer {
  readonly name = "SGD";
  readonly lr: number;
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly wd: number;
  private readonly nesterov: boolean;

  constructor(opts: SGDOptions) {
    super();
    this.lr = checkRate("SGD", opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.wd = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(
        `SGD: nesterov needs momentum > 0 and dampening 0, found momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
  }

  apply(params: ParamGrad[], lr: number): void {
    for (const { key, variable, grad } of params) {
      this.steps.set(key, (this.steps.get(key) ?? 0) + 1);
      const buf0 = this.buffers.get(`${key}.momentum_buffer`);
      const buf = tf.tidy((): tf.Tensor | undefined => {
        let d: tf.Tensor = this.wd !== 0 ? tf.add(grad, tf.mul(variable, this.wd)) : grad;
        let buf: tf.Tensor | null = null;
        if (this.momentum !== 0) {
          buf = buf0 ? tf.add(tf.mul(buf0, this.momentum), tf.mul(d, 1 - this.dampening)) : tf.clone(d);
          d = this.nesterov ? tf.add(d, tf.mul(buf, this.momentum)) : buf;
        }
        variable.assign(tf.sub(variable, tf.mul(d, lr)));
        return buf ?? undefined;
      });
      if (buf) this.setBuffer(`${key}.momentum_buffer`, buf);
    }
  }
}

function checkRate(name: string, lr: number): number {
  if (!(Number.isFinite(lr) && lr >= 0))
    throw new Error(`${name}.lr: expected a finite non-negative number, found ${lr}`);
  return lr;
}

export type OptimizerSpec = ({ kind: "adamw" } & AdamWOptions) | ({ kind: "sgd" } & SGDOptions);

export function createOptimizer(spec: OptimizerSpec | Optimizer): Optimizer {
  if ("apply" in spec) return spec;
  switch (spec.kind) {
    case "adamw":
      return new AdamW(spec);
    case "sgd":
      return new SGD(spec);
    default:
      throw new Error(
        `optimizer.kind: expected "adamw" or "sgd", found ${JSON.stringify((spec as { kind: unknown }).kind)}`,
      );
  }
}

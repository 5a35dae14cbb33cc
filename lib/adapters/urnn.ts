// uRNN-style unitary adapter (after Arjovsky, Shah & Bengio 2016, arXiv 1511.06464): the input
// features, paired as complex numbers z_j = x_{2j} + i·x_{2j+1} (n = in/2), pass through
//   T(θ) = D3·R2·F⁻¹·D2·Π·R1·F·D1
// (D: diagonal phases e^{iθ}, R: complex Householder reflections I − 2vv*/‖v‖², Π: a fixed
// random permutation, F: a unitary transform) before the frozen layer: y = W·U·x + b.
// F is the normalised Walsh–Hadamard transform (see hadamard.ts), so F⁻¹ = F.
// Identity at init: phases start at 0 and the adapter uses U = T(θ)·T(θ₀)⁻¹, with T(θ₀)⁻¹ the
// fixed inverse of the initial product (same reflections, zero phases), so U = I exactly in
// exact arithmetic at step 0 while every parameter still receives gradient. Parameters:
// θ [3, n] and v [2 reflections, re/im, n] = 7n = 7·in/2; cost O(in·log in) per token.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";
import type { ParameterGroup } from "../nn/module.js";
import { hadamardRows } from "./hadamard.js";
import { Permutation } from "./permute.js";
import { layerSeed, normal, permutation, rng } from "./seeded.js";
import type { LayerAdapter } from "./types.js";
import { variable } from "./variables.js";

// The complex state is feature-major, Z [n, 2, N]: Z[j, 0] real and Z[j, 1] imaginary parts
// of feature j over the N tokens. Every step is then a matmul on whole rows — phases are
// per-feature 2×2 rotations, the reflection's projection and update are [2, n]·Z and
// [2n, 2]·[2, N] — so each step leaves one or two full-size intermediates for backward.

/** Z ↦ e^{iθ}⊙Z: per feature [[c, −s], [s, c]]·(re; im). */
function phase(z: tf.Tensor3D, theta: tf.Tensor1D): tf.Tensor3D {
  const n = theta.shape[0];
  const c = tf.cos(theta), s = tf.sin(theta);
  const rot = tf.reshape(tf.stack([c, tf.neg(s), s, c], 1), [n, 2, 2]) as tf.Tensor3D;
  return tf.matMul(rot, z);
}

/** (cr, ci) = (P[0,0] + P[1,1], P[0,1] − P[1,0]) for P[a, c] = Σ_j V[a, j]·Z[j, c]. */
const PROJECT = [1, 0, 0, 1, 0, 1, -1, 0];

/** Z ↦ (I − 2·v·vᴴ/‖v‖²)·Z per token, v = V[0] + i·V[1], V [2, n]. */
function reflect(z: tf.Tensor3D, v: tf.Tensor2D): tf.Tensor3D {
  const [n, , N] = z.shape;
  const [vr, vi] = tf.unstack(v) as [tf.Tensor1D, tf.Tensor1D];
  // c = vᴴz: cr = Σ vr·re + vi·im, ci = Σ vr·im − vi·re
  const p = tf.reshape(tf.matMul(v, tf.reshape(z, [n, 2 * N]) as tf.Tensor2D), [4, N]) as tf.Tensor2D;
  const c = tf.matMul(tf.tensor2d(PROJECT, [2, 4]), p); // [2, N]
  // z − (2/‖v‖²)·v·c: rows (re_j, im_j) = (vr·cr − vi·ci, vi·cr + vr·ci)
  const k = tf.div(2, tf.sum(tf.square(v)));
  const wu = tf.mul(tf.reshape(tf.stack([vr, tf.neg(vi), vi, vr], 1), [2 * n, 2]), k) as tf.Tensor2D;
  return tf.sub(z, tf.reshape(tf.matMul(wu, c), [n, 2, N])) as tf.Tensor3D;
}

/** The unitary transform over features, applied to real and imaginary parts alike. */
function fourier(z: tf.Tensor3D): tf.Tensor3D {
  const [n, , N] = z.shape;
  return tf.reshape(hadamardRows(tf.reshape(z, [n, 2 * N]) as tf.Tensor2D), [n, 2, N]) as tf.Tensor3D;
}

export class UrnnLayer implements LayerAdapter {
  readonly theta: tf.Variable;
  readonly v: tf.Variable;
  /** Fixed: the initial reflections [2, 2, n] and the permutation, kept for T(θ₀)⁻¹ and saving. */
  v0: tf.Tensor3D;
  perm: number[];
  private permFwd: Permutation;
  private permBack: Permutation;
  readonly n: number;

  constructor(
    readonly layer: string,
    private readonly linear: Linear,
    opts: { seed: number; prefix: string },
  ) {
    const d = linear.inFeatures;
    if (d % 2 !== 0) throw new Error(`urnn on ${layer}: in_features must be even to pair features as complex numbers, found ${d}`);
    this.n = d / 2;
    const rand = rng(layerSeed(opts.seed, layer));
    this.v0 = tf.keep(tf.tensor3d(Float32Array.from(normal(4 * this.n, rand)), [2, 2, this.n]));
    this.perm = permutation(this.n, rand);
    [this.permFwd, this.permBack] = UrnnLayer.permutations(this.perm);
    this.theta = variable(opts.prefix, `${layer}.urnn_theta`, tf.zeros([3, this.n]));
    this.v = variable(opts.prefix, `${layer}.urnn_v`, this.v0.clone());
  }

  private static permutations(perm: number[]): [Permutation, Permutation] {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [new Permutation(perm, 0), new Permutation(inv, 0)];
  }

  /** x [N, in] ↦ rows (U·x)ᵀ; U orthogonal on R^in. */
  transform(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [N, d] = x.shape;
      // interleaved pairs (x_2j, x_2j+1) → Z [n, 2, N]
      let z = tf.transpose(tf.reshape(x, [N, this.n, 2]), [1, 2, 0]) as tf.Tensor3D;
      const v0 = tf.unstack(this.v0) as [tf.Tensor2D, tf.Tensor2D];
      const v = tf.unstack(this.v) as [tf.Tensor2D, tf.Tensor2D];
      const [t1, t2, t3] = tf.unstack(this.theta) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      // T(θ₀)⁻¹ = F·R1⁰·Π⁻¹·F·R2⁰ (zero phases), applied right to left
      z = reflect(z, v0[1]);
      z = fourier(z);
      z = this.permBack.apply(z);
      z = reflect(z, v0[0]);
      z = fourier(z);
      // T(θ) = D3·R2·F⁻¹·D2·Π·R1·F·D1
      z = phase(z, t1);
      z = fourier(z);
      z = reflect(z, v[0]);
      z = this.permFwd.apply(z);
      z = phase(z, t2);
      z = fourier(z);
      z = reflect(z, v[1]);
      z = phase(z, t3);
      return tf.reshape(tf.transpose(z, [2, 0, 1]), [N, d]) as tf.Tensor2D;
    });
  }

  /** The dense map as rows: matrix(I)[i] = (U·e_i)ᵀ, i.e. Uᵀ (tests and merging only). */
  matrixT(): tf.Tensor2D {
    return tf.tidy(() => this.transform(tf.eye(this.linear.inFeatures) as tf.Tensor2D));
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(x, [-1, this.linear.inFeatures]) as tf.Tensor2D;
      const y = base(this.transform(flat));
      return tf.reshape(y, [...x.shape.slice(0, -1), this.linear.outFeatures]);
    });
  }

  groups(): ParameterGroup[] {
    return [{ layer: this.layer, branch: "urnn", variables: [this.theta, this.v] }];
  }

  /** W·U = W·(Uᵀ)ᵀ. */
  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(w, this.matrixT(), false, true));
  }

  state(): Map<string, tf.Tensor> {
    return new Map<string, tf.Tensor>([
      ["urnn_theta", this.theta.clone()],
      ["urnn_v", this.v.clone()],
      ["urnn_v0", this.v0.clone()],
      ["urnn_perm", tf.tensor1d(this.perm, "float32")],
    ]);
  }

  /** Loads trained and fixed parts alike: the file's T(θ₀) replaces this adapter's. */
  setState(values: Map<string, tf.Tensor>): void {
    this.theta.assign(values.get("urnn_theta") as tf.Tensor);
    this.v.assign(values.get("urnn_v") as tf.Tensor);
    const perm = Array.from((values.get("urnn_perm") as tf.Tensor).dataSync(), (p) => Math.round(p));
    const sorted = [...perm].sort((a, b) => a - b);
    if (!sorted.every((p, i) => p === i)) throw new Error(`urnn on ${this.layer}: urnn_perm is not a permutation of 0..${this.n - 1}`);
    this.v0.dispose();
    this.v0 = tf.keep((values.get("urnn_v0") as tf.Tensor).clone() as tf.Tensor3D);
    this.permFwd.dispose();
    this.permBack.dispose();
    this.perm = perm;
    [this.permFwd, this.permBack] = UrnnLayer.permutations(perm);
  }

  dispose(): void {
    this.theta.dispose();
    this.v.dispose();
    this.v0.dispose();
    this.permFwd.dispose();
    this.permBack.dispose();
  }
}

// uRNN-style unitary adapter (after Arjovsky, Shah & Bengio 2016, arXiv 1511.06464): the input
// features, paired as complex numbers z_j = x_{2j} + i·x_{2j+1} (n = in/2), pass through
//   T(θ) = D3·R2·F⁻¹·D2·Π·R1·F·D1
// (D: diagonal phases e^{iθ}, R: complex Householder reflections I − 2vv*/‖v‖², Π: a fixed
// random permutation, F: a unitary transform) before the frozen layer: y = W·U·x + b.
// F is the normalised Walsh–Hadamard transform (see hadamard.ts), so F⁻¹ = F.
// Identity at init: phases start at 0 and the adapter uses U = T(θ)·T(θ₀)⁻¹, with T(θ₀)⁻¹ the
// fixed inverse of the initial product (same reflections, zero phases), so U = I exactly in
// exact arithmetic at step 0 while every parameter still receives gradient. Parameters:
// θ [3, n] and v [2 reflections, re/im, n] = 7n = 7·in/2.
// Weight space: U is applied to the frozen weight, not to the tokens: y = x·(W·U)ᵀ + b with
// U = T(θ)·C, C = T(θ₀)⁻¹ a dense constant built once. The chain then runs on the in columns
// of C whatever the batch (O(in²·log in) per step, plus the O(out·in²) product W·U), instead of
// on every token's activation together with T(θ₀)⁻¹ (O(in·log in) per token, both directions).
// Small batches (token-by-token generation) keep the token form, cheaper there.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../../nn/linear.js";
import type { ParameterGroup } from "../../nn/module.js";
import { normal } from "../../random/distributions.js";
import { mulberry32, permutation } from "../../random/mulberry32.js";
import { matMul } from "../../backend/matmul.js";
import { layerSeed } from "../seeded.js";
import type { LayerAdapter } from "../types.js";
import { variable } from "../variables.js";
import { Hadamard } from "./hadamard.js";
import { RowPermutation } from "./permute.js";

// The complex state is feature-major and interleaved, Zf [2n, N]: rows (re_j, im_j) of feature
// j over N columns (C's in columns in weight space; xᵀ in token space, where entering and
// leaving is one transpose). Every step is a plain
// product on whole rows (no tf.gather, no reverse/slice: all slow on wasm):
// - phase e^{iθ}: per-feature 2×2 rotations, one batched product over the [n, 2, N] view;
// - reflection: with Q [2n, 2] (rows (vr_j, −vi_j), (vi_j, vr_j)), c = vᴴz is Qᵀ·Zf and the
//   update is Zf − (2/‖v‖²)·Q·c;
// - F and Π (its 0/1 matrix) mix whole complex rows: [n, 2N] views of Zf.
// Both the fixed inverse T(θ₀)⁻¹ and T(θ) are custom ops with hand-written backward passes;
// the constants (F, Π, Πᵀ, fixed reflections, C) are built once per layer, again after
// setState (v0 and perm change), and freed on dispose.

/** Q [2n, 2] from v = vr + i·vi (both [n]). */
function reflector(vr: tf.Tensor1D, vi: tf.Tensor1D): tf.Tensor2D {
  const n = vr.shape[0];
  return tf.reshape(tf.stack([vr, tf.neg(vi), vi, vr], 1), [2 * n, 2]) as tf.Tensor2D;
}

/** One reflection I − k·Q·Qᵀ with Q [2n, 2] from v = vr + i·vi and k = 2/‖v‖². */
interface Reflection {
  v: tf.Tensor2D;
  q: tf.Tensor2D;
  qt: tf.Tensor2D;
  k: tf.Scalar;
}

function reflection(v: tf.Tensor2D): Reflection {
  const [vr, vi] = tf.unstack(v) as [tf.Tensor1D, tf.Tensor1D];
  const q = reflector(vr, vi);
  return { v, q, qt: tf.transpose(q), k: tf.div(2, tf.sum(tf.square(v))) as tf.Scalar };
}

function reflectNoGrad(z: tf.Tensor2D, r: Reflection): tf.Tensor2D {
  return tf.sub(z, tf.mul(tf.matMul(r.q, tf.matMul(r.qt, z)), r.k));
}

/** [[1, 0], [0, 1]] and [[0, −1], [1, 0]] picked out of dQ's per-feature 2×2 blocks give dvr, dvi. */
const PICK_RE = [1, 0, 0, 1];
const PICK_IM = [0, -1, 1, 0];

/**
 * Backward of y = z − k·Q·(Qᵀz) for upstream g: dz = g − k·Q·(Qᵀg) (a reflection is symmetric);
 * dQ = −k·(g·cᵀ + z·dᵀ) with c = Qᵀz, d = Qᵀg; dk = −Σ c⊙d and dk/dv = −k²·v.
 */
function reflectBack(z: tf.Tensor2D, g: tf.Tensor2D, r: Reflection, n: number): { dz: tf.Tensor2D; dv: tf.Tensor2D } {
  const c = tf.matMul(r.qt, z),
    d = tf.matMul(r.qt, g);
  const dz = tf.sub(g, tf.mul(tf.matMul(r.q, d), r.k)) as tf.Tensor2D;
  // [2n, N]·[N, 2] products with a 2-column result: tiny, so the transposed form is fine on wasm
  const dQ = tf.reshape(tf.mul(tf.add(tf.matMul(g, c, false, true), tf.matMul(z, d, false, true)), tf.neg(r.k)), [
    n,
    2,
    2,
  ]);
  const pick = (m: number[]) => tf.sum(tf.mul(dQ, tf.tensor3d(m, [1, 2, 2])), [1, 2]);
  const dk = tf.neg(tf.sum(tf.mul(c, d)));
  const dv = tf.add(
    tf.stack([pick(PICK_RE), pick(PICK_IM)]),
    tf.mul(r.v, tf.mul(dk, tf.neg(tf.square(r.k)))),
  ) as tf.Tensor2D;
  return { dz, dv };
}

/** dL/dθ_j = Σ_t (y_re·g_im − y_im·g_re) for y = e^{iθ}⊙z: entries [0,1] − [1,0] of y·gᵀ per feature. */
function phaseThetaGrad(y: tf.Tensor2D, g: tf.Tensor2D, n: number): tf.Tensor1D {
  const N = y.shape[1];
  const a = tf.matMul(tf.reshape(y, [n, 2, N]) as tf.Tensor3D, tf.reshape(g, [n, 2, N]) as tf.Tensor3D, false, true);
  return tf.sum(tf.mul(a, tf.tensor3d([0, 1, -1, 0], [1, 2, 2])), [1, 2]) as tf.Tensor1D;
}

/** A fixed reflection's constants: Qᵀ [2, 2n] and (2/‖v‖²)·Q [2n, 2]. */
interface FixedReflection {
  qt: tf.Tensor2D;
  kq: tf.Tensor2D;
}

export class UrnnLayer implements LayerAdapter {
  readonly theta: tf.Variable;
  readonly v: tf.Variable;
  /** Fixed: the initial reflections [2, 2, n] and the permutation, kept for T(θ₀)⁻¹ and saving. */
  v0: tf.Tensor3D;
  perm: number[];
  readonly n: number;
  private readonly F: Hadamard;
  private permFwd!: RowPermutation;
  private fixed!: [FixedReflection, FixedReflection];
  /** C = T(θ₀)⁻¹ as a dense [in, in] matrix (columns: the fixed chain applied to the identity). */
  private fixedMatrix!: tf.Tensor2D;

  /**
   * The weight-space form runs when the input has at least this many rows per input feature
   * (rows ≥ ratio·in); below, the chains run on the rows themselves. Same map either way, to
   * float32 rounding. By operation count: the token form runs two chains on the rows, the weight
   * form one chain on in columns plus W·U (about one more), so they break even near rows = in/2.
   * Training batches (768 rows at the small scale) are far above; token-by-token generation below.
   */
  static weightSpaceRatio = 0.5;

  constructor(
    readonly layer: string,
    private readonly linear: Linear,
    opts: { seed: number; prefix: string },
  ) {
    const d = linear.inFeatures;
    if (d % 2 !== 0)
      throw new Error(`urnn on ${layer}: in_features must be even to pair features as complex numbers, found ${d}`);
    this.n = d / 2;
    const rand = mulberry32(layerSeed(opts.seed, layer));
    this.v0 = tf.keep(tf.tensor3d(Float32Array.from(normal(4 * this.n, rand)), [2, 2, this.n]));
    this.perm = permutation(this.n, rand);
    this.F = new Hadamard(this.n);
    this.buildFixed();
    this.theta = variable(opts.prefix, `${layer}.urnn_theta`, tf.zeros([3, this.n]));
    this.v = variable(opts.prefix, `${layer}.urnn_v`, this.v0.clone());
  }

  /** Constants of the fixed parts, from v0 and perm (again after setState). */
  private buildFixed(): void {
    this.permFwd = new RowPermutation(this.perm);
    const reflection = (i: number): FixedReflection =>
      tf.tidy(() => {
        const [vr, vi] = tf.unstack(tf.unstack(this.v0)[i] as tf.Tensor2D) as [tf.Tensor1D, tf.Tensor1D];
        const q = reflector(vr, vi);
        return {
          qt: tf.keep(tf.transpose(q)),
          kq: tf.keep(tf.mul(q, tf.div(2, tf.sum(tf.square(tf.stack([vr, vi]))))) as tf.Tensor2D),
        };
      });
    this.fixed = [reflection(0), reflection(1)];
    this.fixedMatrix = tf.keep(tf.tidy(() => this.fixedInverse(tf.eye(2 * this.n) as tf.Tensor2D, false)));
  }

  private disposeFixed(): void {
    this.permFwd.dispose();
    for (const f of this.fixed) tf.dispose([f.qt, f.kq]);
    this.fixedMatrix.dispose();
  }

  private reflectFixed(z: tf.Tensor2D, f: FixedReflection): tf.Tensor2D {
    return tf.sub(z, tf.matMul(f.kq, tf.matMul(f.qt, z)));
  }

  /** T(θ₀)⁻¹ = F·R1⁰·Π⁻¹·F·R2⁰ (zero phases) on Zf; with `adjoint`, its transpose T(θ₀) = R2⁰·F·Π·R1⁰·F. */
  private fixedInverse(z: tf.Tensor2D, adjoint: boolean): tf.Tensor2D {
    const [r1, r2] = this.fixed;
    const F = (x: tf.Tensor2D) => this.fourierNoGrad(x);
    if (adjoint) return this.reflectFixed(F(this.permuteNoGrad(this.reflectFixed(F(z), r1), false)), r2);
    return F(this.reflectFixed(this.permuteNoGrad(F(this.reflectFixed(z, r2)), true), r1));
  }

  private readonly fixedOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: this.fixedInverse(args[0] as tf.Tensor2D, false),
    gradFunc: (dy: tf.Tensor) => this.fixedInverse(dy as tf.Tensor2D, true),
  }));

  /** F on the rows of Zf [2n, N] without gradient bookkeeping (inside the custom ops). */
  private fourierNoGrad(z: tf.Tensor2D): tf.Tensor2D {
    const [rows, N] = z.shape;
    return tf.reshape(this.F.rowsNoGrad(tf.reshape(z, [this.n, 2 * N]) as tf.Tensor2D), [rows, N]) as tf.Tensor2D;
  }

  /** Π (or Πᵀ = Π⁻¹ with `inverse`) on the complex rows of Zf [2n, N]. */
  private permuteNoGrad(z: tf.Tensor2D, inverse: boolean): tf.Tensor2D {
    const [rows, N] = z.shape;
    return tf.reshape(this.permFwd.rowsNoGrad(tf.reshape(z, [this.n, 2 * N]) as tf.Tensor2D, inverse), [
      rows,
      N,
    ]) as tf.Tensor2D;
  }

  /** Per-feature rotation e^{iθ} on Zf: a batched 2×2 product over the [n, 2, N] view. */
  private rotate(z: tf.Tensor2D, rot: tf.Tensor3D): tf.Tensor2D {
    const [rows, N] = z.shape;
    return tf.reshape(tf.matMul(rot, tf.reshape(z, [this.n, 2, N]) as tf.Tensor3D), [rows, N]) as tf.Tensor2D;
  }

  /**
   * T(θ) = D3·R2·F⁻¹·D2·Π·R1·F·D1 on Zf with a hand-written backward pass: autodiff of the
   * same ops records ~10× more kernels (clones, transposes, broadcasts), which dominated the
   * step. Saved for backward: the input of each reflection and the output of each phase.
   */
  private readonly productOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z0, theta, v, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.GradSaveFunc];
    const p = this.parts(theta, v, false);
    const a1 = this.rotate(z0, p.rot[0]);
    const a2 = this.fourierNoGrad(a1);
    const a4 = this.permuteNoGrad(reflectNoGrad(a2, p.refl[0]), false);
    const a5 = this.rotate(a4, p.rot[1]);
    const a6 = this.fourierNoGrad(a5);
    const a8 = this.rotate(reflectNoGrad(a6, p.refl[1]), p.rot[2]);
    save([theta, v, a1, a2, a5, a6, a8]);
    return {
      value: a8,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [th, vv, s1, s2, s5, s6, s8] = saved as [
          tf.Tensor2D,
          tf.Tensor3D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
        ];
        const q = this.parts(th, vv, true);
        const phaseBack = (y: tf.Tensor2D, g: tf.Tensor2D, i: number) => ({
          dTheta: phaseThetaGrad(y, g, this.n),
          dz: this.rotate(g, q.rot[i] as tf.Tensor3D),
        });
        const p3 = phaseBack(s8, dy as tf.Tensor2D, 2);
        const r2 = reflectBack(s6, p3.dz, q.refl[1], this.n);
        const p2 = phaseBack(s5, this.fourierNoGrad(r2.dz), 1);
        const r1 = reflectBack(s2, this.permuteNoGrad(p2.dz, true), q.refl[0], this.n);
        const p1 = phaseBack(s1, this.fourierNoGrad(r1.dz), 0);
        return [p1.dz, tf.stack([p1.dTheta, p2.dTheta, p3.dTheta]), tf.stack([r1.dv, r2.dv])];
      },
    };
  });

  /**
   * Rotations (their transposes for the backward pass) and reflection factors from θ [3, n] and
   * v [2, 2, n]. Each pass builds only the blocks it uses: the stacks cost more than their size.
   */
  private parts(theta: tf.Tensor2D, v: tf.Tensor3D, transposed: boolean): { rot: tf.Tensor3D[]; refl: Reflection[] } {
    const c = tf.cos(theta),
      s = tf.sin(theta);
    const blocks = transposed ? [c, s, tf.neg(s), c] : [c, tf.neg(s), s, c];
    const rot = tf.unstack(tf.reshape(tf.stack(blocks, 2), [3, this.n, 2, 2])) as tf.Tensor3D[];
    const refl = (tf.unstack(v) as tf.Tensor2D[]).map((vi) => reflection(vi));
    return { rot, refl };
  }

  /** U = T(θ)·T(θ₀)⁻¹ [in, in] (acting on feature columns), with gradient to θ and v. */
  unitary(): tf.Tensor2D {
    return tf.tidy(() => this.productOp(this.fixedMatrix, this.theta, this.v) as tf.Tensor2D);
  }

  /** x [N, in] ↦ rows (U·x)ᵀ = x·Uᵀ; U orthogonal on R^in. */
  transform(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => matMul(x, this.unitary(), false, true) as tf.Tensor2D);
  }

  /** The same map in token space: both chains, T(θ₀)⁻¹ then T(θ), on the rows of x [N, in]. */
  transformTokens(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const z = this.fixedOp(tf.transpose(x) as tf.Tensor2D) as tf.Tensor2D;
      return tf.transpose(this.productOp(z, this.theta, this.v) as tf.Tensor2D) as tf.Tensor2D;
    });
  }

  /** The dense map as rows: matrix(I)[i] = (U·e_i)ᵀ, i.e. Uᵀ (tests and merging only). */
  matrixT(): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(this.unitary()) as tf.Tensor2D);
  }

  /** Whether an input of `rows` rows runs in weight space (see weightSpaceRatio). */
  weightSpace(rows: number): boolean {
    return rows >= UrnnLayer.weightSpaceRatio * this.linear.inFeatures;
  }

  forward(x: tf.Tensor, base: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const inF = this.linear.inFeatures;
      const rows = x.size / inF;
      // W_eff = W·U: autodiff gives dU = Wᵀ·(dYᵀ·X), and the chain's backward runs on in columns.
      if (this.weightSpace(rows))
        return this.linear.forwardWith(x, this.mergedWeight(this.linear.weight as tf.Tensor2D));
      const y = base(this.transformTokens(tf.reshape(x, [rows, inF]) as tf.Tensor2D));
      return tf.reshape(y, [...x.shape.slice(0, -1), this.linear.outFeatures]);
    });
  }

  groups(): ParameterGroup[] {
    return [{ layer: this.layer, branch: "urnn", variables: [this.theta, this.v] }];
  }

  /** W·U: the weight the forward pass uses in weight space, and merge() folds in. */
  mergedWeight(w: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => matMul(w, this.unitary()) as tf.Tensor2D);
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
    if (!sorted.every((p, i) => p === i))
      throw new Error(`urnn on ${this.layer}: urnn_perm is not a permutation of 0..${this.n - 1}`);
    this.disposeFixed();
    this.v0.dispose();
    this.v0 = tf.keep((values.get("urnn_v0") as tf.Tensor).clone() as tf.Tensor3D);
    this.perm = perm;
    this.buildFixed();
  }

  dispose(): void {
    this.theta.dispose();
    this.v.dispose();
    this.v0.dispose();
    this.disposeFixed();
    this.F.dispose();
  }
}

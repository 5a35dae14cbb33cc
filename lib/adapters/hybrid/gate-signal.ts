// What the hybrid's default gate reads: each branch's gradient expressed in the space of the
// layer's effective weight change, ‖P_b(G)‖ with G = ∂L/∂W_eff and P_b the orthogonal projection
// onto the weight changes branch b can make at its current parameters (its tangent space).
// That number is the steepest first-order loss decrease per unit of weight change (Frobenius)
// open to the branch, so it does not depend on how the branch is parameterised: any
// reparameterisation with the same reachable changes (a tensor scaled by c and used scaled by
// 1/c, LoRA's A→MA, B→BM⁻¹, ...) leaves it unchanged. It is recovered from the parameter
// gradients g = w_b·Jᵀ·G (w_b the branch's mixing weight) as √(gᵀ(JᵀJ)⁺g)/w_b, in closed form:
// r×r Grams for LoRA-GA, b×b Grams per butterfly block for BOFT (docs/methods.md §5).
import * as tf from "@tensorflow/tfjs";
import type { BoftLayer } from "../boft/layer.js";
import type { LoraLayer } from "../lora/layer.js";
import { jacobiSvd } from "../loraga/randomized-svd.js";
import type { HybridLayer } from "./layer.js";

export interface BranchPair {
  boft: number;
  loraga: number;
}

/** Eigen-pairs of a symmetric PSD [n, n] (row-major): its SVD. Vectors as columns. */
function eigPsd(m: Float64Array, n: number): { vals: Float64Array; vecs: Float64Array } {
  const { U, S } = jacobiSvd(m, n, n);
  return { vals: S, vecs: U };
}

/** uᵀ·X·v for columns i of U and j of V ([n, n] row-major each), X [n, n]. */
function bilinear(U: Float64Array, i: number, X: Float64Array, V: Float64Array, j: number, n: number): number {
  let s = 0;
  for (let a = 0; a < n; a++) {
    const ua = U[a * n + i] as number;
    if (ua === 0) continue;
    let row = 0;
    for (let b = 0; b < n; b++) row += (X[a * n + b] as number) * (V[b * n + j] as number);
    s += ua * row;
  }
  return s;
}

/** Eigenvalues at or below this fraction of the largest are treated as zero (pseudo-inverse). */
const RANK_TOL = 1e-9;

/**
 * ‖P_T(G)‖²·k² for a low-rank branch ΔW = k·B·A (k the branch's scale times its mixing weight),
 * from r×r Grams: T = {dB·A + B·dA}, P_T(G) = P_U·G + G·P_V − P_U·G·P_V with P_U, P_V the
 * projections onto B's columns and A's rows. With gA = k·BᵀG and gB = k·G·Aᵀ:
 * ‖P_U G‖² = tr((BᵀB)⁺ gA gAᵀ)/k², ‖G P_V‖² = tr((AAᵀ)⁺ gBᵀ gB)/k², and
 * ‖P_U G P_V‖² = tr((BᵀB)⁺ M (AAᵀ)⁺ Mᵀ)/k² with M = gA·Aᵀ. Returns the k²-scaled value.
 */
export function lowRankTangentSq(
  btb: Float64Array,
  aat: Float64Array,
  gagaT: Float64Array,
  gbTgb: Float64Array,
  m: Float64Array,
  r: number,
): number {
  const eb = eigPsd(btb, r);
  const ea = eigPsd(aat, r);
  const tolB = RANK_TOL * Math.max(0, ...eb.vals);
  const tolA = RANK_TOL * Math.max(0, ...ea.vals);
  let t1 = 0,
    t2 = 0,
    t3 = 0;
  for (let i = 0; i < r; i++) {
    const sb = eb.vals[i] as number;
    if (sb > tolB) t1 += bilinear(eb.vecs, i, gagaT, eb.vecs, i, r) / sb;
    const sa = ea.vals[i] as number;
    if (sa > tolA) t2 += bilinear(ea.vecs, i, gbTgb, ea.vecs, i, r) / sa;
  }
  for (let i = 0; i < r; i++) {
    const sb = eb.vals[i] as number;
    if (!(sb > tolB)) continue;
    for (let j = 0; j < r; j++) {
      const sa = ea.vals[j] as number;
      if (!(sa > tolA)) continue;
      t3 += bilinear(eb.vecs, i, m, ea.vecs, j, r) ** 2 / (sb * sa);
    }
  }
  return Math.max(0, t1 + t2 - t3);
}

/**
 * ‖P(G)‖²·w² for one orthogonal b×b block of BOFT. The block's reachable changes are X·Ω for
 * skew Ω (X the b columns of the rotated weight the block mixes, `gram` = XᵀX); the projection
 * solves gram·Ω + Ω·gram = 2·skew(XᵀG), in gram's eigenbasis Ω̃_ij = 2C̃_ij/(μ_i + μ_j), and
 * ‖P(G)‖² = 2·Σ C̃_ij²/(μ_i + μ_j). skew(XᵀG) comes from the gradient of BOFT's parameter
 * p (Cayley: S = skew(p), Q = (I − S)(I + S)⁻¹): −w·skew(XᵀG) = g_Ω = −½·(I − S)·g_p·(I + S).
 */
export function rotationBlockSq(gram: Float64Array, p: Float64Array, gp: Float64Array, b: number): number {
  // c = (I − S)·g_p·(I + S)/2 = w·skew(XᵀG)
  const s = new Float64Array(b * b);
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) s[i * b + j] = 0.5 * ((p[i * b + j] as number) - (p[j * b + i] as number));
  const left = new Float64Array(b * b); // (I − S)·g_p
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let v = gp[i * b + j] as number;
      for (let k = 0; k < b; k++) v -= (s[i * b + k] as number) * (gp[k * b + j] as number);
      left[i * b + j] = v;
    }
  const c = new Float64Array(b * b); // left·(I + S)/2
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      let v = left[i * b + j] as number;
      for (let k = 0; k < b; k++) v += (left[i * b + k] as number) * (s[k * b + j] as number);
      c[i * b + j] = 0.5 * v;
    }
  const { vals, vecs } = eigPsd(gram, b);
  const tol = RANK_TOL * Math.max(0, ...vals);
  let out = 0;
  for (let i = 0; i < b; i++)
    for (let j = 0; j < b; j++) {
      if (i === j) continue;
      const den = (vals[i] as number) + (vals[j] as number);
      if (!(den > tol)) continue;
      out += (2 * bilinear(vecs, i, c, vecs, j, b) ** 2) / den;
    }
  return out;
}

/** Device tensors one branch adds to the single read, and how to take its value back out. */
interface Parts {
  tensors: tf.Tensor[];
  finish(host: Float32Array, offset: number): { value: number; used: number };
}

function loraParts(lora: LoraLayer, grads: Record<string, tf.Tensor>, mix: number): Parts | null {
  const gA = grads[lora.A.name] as tf.Tensor2D | undefined;
  const gB = grads[lora.B.name] as tf.Tensor2D | undefined;
  if (!gA || !gB) return null;
  const r = lora.A.shape[0] as number;
  const A = lora.A as tf.Tensor2D;
  const B = lora.B as tf.Tensor2D;
  const tensors = [
    tf.matMul(B, B, true, false),
    tf.matMul(A, A, false, true),
    tf.matMul(gA, gA, false, true),
    tf.matMul(gB, gB, true, false),
    tf.matMul(gA, A, false, true),
  ];
  const k = mix * lora.scale;
  return {
    tensors,
    finish(host, at) {
      const take = (i: number) => Float64Array.from(host.subarray(at + i * r * r, at + (i + 1) * r * r));
      const sq = lowRankTangentSq(take(0), take(1), take(2), take(3), take(4), r);
      return { value: k > 0 ? Math.sqrt(sq) / k : Number.NaN, used: 5 * r * r };
    },
  };
}

/**
 * The b×b Gram of the columns each block of factor i mixes, [m, blockNum, b, b]: with
 * R = M_{m−1}···M_0 and W' = diag(s)·W·Rᵀ, factor i's changes are W'·L_i·P_i·blockdiag(Ω)·(…)ᵀ,
 * L_i = M_{m−1}···M_{i+1}, and W'·L_i·P_i = diag(s)·W·(M_i···M_0)ᵀ·P_i.
 */
function boftFactorGrams(boft: BoftLayer, w: tf.Tensor2D): tf.Tensor {
  const { factors, blockNum, blockSize } = boft.shape;
  const blocks = boft.blocks();
  const dwT = tf.transpose(tf.mul(w, boft.s)) as tf.Tensor2D; // (diag(s)·W)ᵀ [in, out]
  const grams: tf.Tensor[] = [];
  for (let i = 0; i < factors; i++) {
    let y: tf.Tensor3D;
    if (i === 0) {
      // M_0 is block-diagonal: block k of M_0·(sW)ᵀ is Q_k·(sW)ᵀ_k.
      const q0 = tf.reshape(tf.slice(blocks, [0, 0, 0, 0], [1, blockNum, blockSize, blockSize]), [
        blockNum,
        blockSize,
        blockSize,
      ]) as tf.Tensor3D;
      y = tf.matMul(q0, boft.plan.toBlocks(dwT, 0));
    } else {
      // Dense M_i···M_0: the rotation with the factors above i set to the identity.
      const eye = tf.tile(tf.reshape(tf.eye(blockSize), [1, 1, blockSize, blockSize]), [
        factors - i - 1,
        blockNum,
        1,
        1,
      ]);
      const lower = tf.slice(blocks, [0, 0, 0, 0], [i + 1, blockNum, blockSize, blockSize]);
      const partial = factors - i - 1 > 0 ? tf.concat([lower, eye], 0) : lower;
      const rot = boft.plan.apply(tf.eye(w.shape[1]) as tf.Tensor2D, partial as tf.Tensor4D);
      y = boft.plan.toBlocks(tf.matMul(rot, dwT), i);
    }
    grams.push(tf.matMul(y, y, false, true));
  }
  return tf.stack(grams);
}

function boftParts(boft: BoftLayer, w: tf.Tensor2D, grads: Record<string, tf.Tensor>, mix: number): Parts | null {
  const gR = grads[boft.R.name];
  const gS = grads[boft.s.name];
  if (!gR || !gS) return null;
  const { factors, blockNum, blockSize: b } = boft.shape;
  const out = w.shape[0];
  const n = factors * blockNum * b * b;
  const tensors = [boftFactorGrams(boft, w), gR, boft.R, gS, tf.sum(tf.square(w), 1)];
  return {
    tensors,
    finish(host, at) {
      const gram = host.subarray(at, at + n);
      const gp = host.subarray(at + n, at + 2 * n);
      const p = host.subarray(at + 2 * n, at + 3 * n);
      const gs = host.subarray(at + 3 * n, at + 3 * n + out);
      const rows = host.subarray(at + 3 * n + out, at + 3 * n + 2 * out);
      let sq = 0;
      for (let k = 0; k < factors * blockNum; k++) {
        const o = k * b * b;
        const blk = (t: Float32Array) => Float64Array.from(t.subarray(o, o + b * b));
        sq += rotationBlockSq(blk(gram), blk(p), blk(gp), b);
      }
      // s scales rows: row o's change is ds_o·W'_o, and W'_o = s_o·(W·Rᵀ)_o has the norm s_o·‖W_o‖.
      for (let o = 0; o < out; o++) {
        const wo = rows[o] as number;
        if (wo > 0) sq += (gs[o] as number) ** 2 / wo;
      }
      return { value: mix > 0 ? Math.sqrt(sq) / mix : Number.NaN, used: 3 * n + 2 * out };
    },
  };
}

/**
 * ‖P_b(G)‖ of both branches of every hybrid layer (`weight`: its frozen base W [out, in]), from
 * the gradients of one step (keyed by tf.Variable.name) and each layer's current λ; the Grams are
 * read back in one transfer, the small eigenproblems (r×r, b×b per block) run on the host in float64. NaN for a branch whose gradients are missing or whose mixing weight is 0 (it has no
 * gradient to measure). For BOFT with more than one butterfly factor the factors' changes are
 * treated as orthogonal (their projections are added); exact for one factor.
 */
export function weightSpaceNorms(
  layers: readonly { hybrid: HybridLayer; weight: tf.Tensor2D }[],
  grads: Record<string, tf.Tensor>,
): BranchPair[] {
  const finishers: { boft: Parts["finish"] | null; lora: Parts["finish"] | null }[] = [];
  const flat = tf.tidy(() => {
    const all: tf.Tensor[] = [];
    for (const { hybrid, weight } of layers) {
      const b = boftParts(hybrid.boft, weight, grads, hybrid.lambda);
      const l = loraParts(hybrid.lora, grads, 1 - hybrid.lambda);
      for (const t of [...(b?.tensors ?? []), ...(l?.tensors ?? [])]) all.push(tf.reshape(t, [-1]));
      finishers.push({ boft: b?.finish ?? null, lora: l?.finish ?? null });
    }
    return all.length ? tf.concat(all) : tf.zeros([0]);
  });
  const host = flat.dataSync() as Float32Array;
  flat.dispose();
  let at = 0;
  const take = (finish: Parts["finish"] | null): number => {
    if (!finish) return Number.NaN;
    const r = finish(host, at);
    at += r.used;
    return r.value;
  };
  return finishers.map((f) => ({ boft: take(f.boft), loraga: take(f.lora) }));
}

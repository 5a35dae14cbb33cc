// Truncated SVD for LoRA-GA. tfjs has no SVD, so: randomized range finder with power
// iterations (Halko, Martinsson & Tropp 2011; torch.svd_lowrank's scheme, which LoRA-GA's
// reference uses with q = 4r, niter = 4), orthonormalised by QR at every step, then an exact
// one-sided Jacobi SVD of the small projected matrix. Runs on the host in float64: the
// matrices are one layer's gradient, and float64 keeps the small SVD exact to ~1e-12.
import { normal } from "../../random/distributions.js";
import { mulberry32 } from "../../random/mulberry32.js";

export interface Svd {
  /** Left singular vectors as columns, [m, k] row-major. */
  U: Float64Array;
  S: Float64Array;
  /** Right singular vectors as columns, [n, k] row-major. */
  V: Float64Array;
  k: number;
}

/** C[m,p] = op(A)·op(B), row-major. */
function matmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  p: number,
  ta = false,
  tb = false,
): Float64Array {
  const c = new Float64Array(m * p);
  // a is [m,k] (or [k,m] if ta); b is [k,p] (or [p,k] if tb)
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      const av = ta ? (a[t * m + i] as number) : (a[i * k + t] as number);
      if (av === 0) continue;
      const row = i * p;
      if (tb) for (let j = 0; j < p; j++) c[row + j] = (c[row + j] as number) + av * (b[j * k + t] as number);
      else {
        const bo = t * p;
        for (let j = 0; j < p; j++) c[row + j] = (c[row + j] as number) + av * (b[bo + j] as number);
      }
    }
  }
  return c;
}

/** Orthonormal basis of the columns of y [m, q] by modified Gram–Schmidt, twice for stability (Q of a thin QR). */
export function orthonormalize(y: Float64Array, m: number, q: number): Float64Array {
  const out = Float64Array.from(y);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < q; j++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < m; r++) dot += (out[r * q + i] as number) * (out[r * q + j] as number);
        for (let r = 0; r < m; r++) out[r * q + j] = (out[r * q + j] as number) - dot * (out[r * q + i] as number);
      }
      let nrm = 0;
      for (let r = 0; r < m; r++) nrm += (out[r * q + j] as number) ** 2;
      nrm = Math.sqrt(nrm);
      for (let r = 0; r < m; r++) out[r * q + j] = nrm > 1e-300 ? (out[r * q + j] as number) / nrm : 0;
    }
  }
  return out;
}

/**
 * Exact SVD of a small dense matrix b [q, n] (q ≤ n) by one-sided Jacobi on bᵀ [n, q]:
 * rotating columns until orthogonal gives bᵀ·J = V·S, so J = U_b. Sorted descending.
 */
export function jacobiSvd(b: Float64Array, q: number, n: number): Svd {
  const a = new Float64Array(n * q); // bᵀ
  for (let i = 0; i < q; i++) for (let j = 0; j < n; j++) a[j * q + i] = b[i * n + j] as number;
  const J = new Float64Array(q * q);
  for (let i = 0; i < q; i++) J[i * q + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < q - 1; p++) {
      for (let r = p + 1; r < q; r++) {
        let alpha = 0,
          beta = 0,
          gamma = 0;
        for (let i = 0; i < n; i++) {
          const x = a[i * q + p] as number,
            y = a[i * q + r] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t),
          s = c * t;
        for (let i = 0; i < n; i++) {
          const x = a[i * q + p] as number,
            y = a[i * q + r] as number;
          a[i * q + p] = c * x - s * y;
          a[i * q + r] = s * x + c * y;
        }
        for (let i = 0; i < q; i++) {
          const x = J[i * q + p] as number,
            y = J[i * q + r] as number;
          J[i * q + p] = c * x - s * y;
          J[i * q + r] = s * x + c * y;
        }
      }
    }
    if (off < 1e-14) break;
  }
  const S = new Float64Array(q);
  for (let j = 0; j < q; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (a[i * q + j] as number) ** 2;
    S[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: q }, (_, i) => i).sort((x, y) => (S[y] as number) - (S[x] as number));
  const U = new Float64Array(q * q),
    V = new Float64Array(n * q),
    So = new Float64Array(q);
  order.forEach((src, dst) => {
    const sv = S[src] as number;
    So[dst] = sv;
    for (let i = 0; i < q; i++) U[i * q + dst] = J[i * q + src] as number;
    for (let i = 0; i < n; i++) V[i * q + dst] = sv > 0 ? (a[i * q + src] as number) / sv : 0;
  });
  return { U, S: So, V, k: q };
}

/**
 * Top-q singular triplets of g [m, n] (row-major) by the randomized range finder.
 * Deterministic for a given seed.
 */
export function randomizedSvd(
  g: Float64Array,
  m: number,
  n: number,
  q: number,
  opts: { niter?: number; seed?: number } = {},
): Svd {
  q = Math.min(q, m, n);
  const niter = opts.niter ?? 4;
  const omega = normal(n * q, mulberry32(opts.seed ?? 0));
  let Q = orthonormalize(matmul(g, omega, m, n, q), m, q); // [m, q]
  for (let it = 0; it < niter; it++) {
    const Z = orthonormalize(matmul(g, Q, n, m, q, true), n, q); // gᵀQ [n, q]
    Q = orthonormalize(matmul(g, Z, m, n, q), m, q);
  }
  const B = matmul(Q, g, q, m, n, true); // Qᵀ g [q, n]
  const small = jacobiSvd(B, q, n);
  return { U: matmul(Q, small.U, m, q, q), S: small.S, V: small.V, k: q };
}

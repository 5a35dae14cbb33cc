// Normalised Walsh–Hadamard transform: the real orthogonal, self-inverse stand-in for the
// uRNN's unitary DFT (tfjs' wasm backend has no FFT kernel, and no FFT gradient is registered
// in tfjs). For n = 2^k·q with q odd it is H_{2^k} ⊗ I_q. H_{2^k} (Sylvester order) is the
// Kronecker product of small Sylvester blocks H_r, r ≤ 16, so it runs as ⌈k/4⌉ stages of
// H_r matmuls with an axis rotation between them: O(n·16·⌈log₁₆ n⌉) per vector, i.e.
// O(n log n), in a handful of kernels.
import * as tf from "@tensorflow/tfjs";

export function hadamardSplit(n: number): { pow: number; odd: number } {
  let pow = 1;
  while (n % (pow * 2) === 0) pow *= 2;
  return { pow, odd: n / pow };
}

function radices(pow: number): number[] {
  let k = Math.round(Math.log2(pow));
  const out: number[] = [];
  while (k > 0) {
    const t = Math.min(4, k);
    out.push(2 ** t);
    k -= t;
  }
  return out;
}

/** Sylvester H_r / √r: entry (−1)^popcount(i & j). */
function sylvester(r: number): tf.Tensor2D {
  const data = new Float32Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let bits = i & j,
        parity = 0;
      while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
      }
      data[i * r + j] = (parity ? -1 : 1) / Math.sqrt(r);
    }
  }
  return tf.tensor2d(data, [r, r]);
}

/** H_pow/√pow ⊗ I_odd as a dense [n, n] matrix. */
function denseMatrix(pow: number, odd: number): tf.Tensor2D {
  const n = pow * odd;
  const data = new Float32Array(n * n);
  const scale = 1 / Math.sqrt(pow);
  for (let a = 0; a < pow; a++) {
    for (let b = 0; b < pow; b++) {
      let bits = a & b,
        parity = 0;
      while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
      }
      for (let j = 0; j < odd; j++) data[(a * odd + j) * n + b * odd + j] = parity ? -scale : scale;
    }
  }
  return tf.tensor2d(data, [n, n]);
}

/**
 * The transform for one size, with its Sylvester blocks built once and owned (dispose() frees
 * them), so callers applying it every step neither re-upload constants nor keep a process cache.
 */
export class Hadamard {
  /**
   * Up to this size the transform is one product with the dense n×n matrix: on wasm a transpose
   * costs about as much as a 128×128 product, so the staged O(n log n) form only pays off for
   * large n. Same matrix either way (entries ±1/√2^k), so results agree to rounding.
   */
  static denseLimit = 256;
  private readonly stages: { r: number; h: tf.Tensor2D }[];
  private readonly dense: tf.Tensor2D | null;
  private readonly pow: number;
  private readonly odd: number;

  constructor(readonly n: number) {
    ({ pow: this.pow, odd: this.odd } = hadamardSplit(n));
    if (n <= Hadamard.denseLimit) {
      this.stages = [];
      this.dense = tf.keep(denseMatrix(this.pow, this.odd));
    } else {
      this.stages = radices(this.pow).map((r) => ({ r, h: tf.keep(sylvester(r)) }));
      this.dense = null;
    }
  }

  /**
   * (H_{2^k} ⊗ I_q)·z for z [n, K] (feature-major: the transform mixes rows). With a = (a1, …, as)
   * the 2^k index, each stage multiplies the leading radix axis by H_r and rotates it behind the
   * others; after s stages every axis was transformed once and the order is restored. The odd
   * factor and K ride along as one contiguous trailing run.
   */
  rowsNoGrad(z: tf.Tensor2D): tf.Tensor2D {
    if (this.dense) return tf.matMul(this.dense, z);
    const [n, k] = z.shape;
    const run = this.odd * k;
    let y: tf.Tensor = z;
    for (const { r, h } of this.stages) {
      const m = tf.matMul(h, tf.reshape(y, [r, -1]) as tf.Tensor2D);
      y = this.pow === r ? m : tf.transpose(tf.reshape(m, [r, this.pow / r, run]), [1, 0, 2]);
    }
    return tf.reshape(y, [n, k]) as tf.Tensor2D;
  }

  // H is symmetric and orthogonal, so the gradient is the same transform of dy: no transposed
  // products (slow on wasm) and nothing saved for backward.
  private readonly op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: this.rowsNoGrad(args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => this.rowsNoGrad(dy as tf.Tensor2D),
  }));

  applyRows(z: tf.Tensor2D): tf.Tensor2D {
    if (z.shape[0] !== this.n)
      throw new Error(`Hadamard: z has ${z.shape[0]} rows, the transform is of size ${this.n}`);
    return tf.tidy(() => this.op(z) as tf.Tensor2D);
  }

  dispose(): void {
    for (const s of this.stages) s.h.dispose();
    this.dense?.dispose();
  }
}

/** One-off (H ⊗ I)·z for z [n, K]; builds and frees the blocks (tests, merging). */
export function hadamardRows(z: tf.Tensor2D): tf.Tensor2D {
  const h = new Hadamard(z.shape[0]);
  try {
    return h.applyRows(z);
  } finally {
    h.dispose();
  }
}

/** x [M, n] ↦ x·(H_{2^k} ⊗ I_q) along the last axis (H is symmetric). */
export function hadamard(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(hadamardRows(tf.transpose(x) as tf.Tensor2D)) as tf.Tensor2D);
}

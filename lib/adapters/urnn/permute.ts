// A fixed permutation of rows as a product with its 0/1 matrix: on wasm a plain matmul stays on
// XNNPACK's fast path, while tf.gather is slow there and its gradient needs UnsortedSegmentSum,
// which wasm lacks. Each output is one input times 1 plus exact zeros, so values move bit for
// bit. The adjoint (Pᵀ, the inverse permutation) is precomputed too: no transposed products.
// On the native backend a row gather is a native copy, O(n·K) instead of the product's O(n²·K),
// so the gradient-free applications (inside the uRNN's custom ops) gather there.
import * as tf from "@tensorflow/tfjs";

export class RowPermutation {
  /** P [n, n] with P[k, p[k]] = 1, and its transpose. */
  readonly matrix: tf.Tensor2D;
  readonly transposed: tf.Tensor2D;
  /** Row indices of P and of Pᵀ (the inverse permutation), for gathers. */
  private readonly index: tf.Tensor1D;
  private readonly inverseIndex: tf.Tensor1D;

  /** y[k] = x[p[k]] along the rows of x [n, K]. */
  constructor(readonly p: number[]) {
    const n = p.length;
    const m = new Float32Array(n * n),
      t = new Float32Array(n * n);
    p.forEach((src, k) => {
      m[k * n + src] = 1;
      t[src * n + k] = 1;
    });
    this.matrix = tf.keep(tf.tensor2d(m, [n, n]));
    this.transposed = tf.keep(tf.tensor2d(t, [n, n]));
    const inv = new Int32Array(n);
    p.forEach((src, k) => {
      inv[src] = k;
    });
    this.index = tf.keep(tf.tensor1d(p, "int32"));
    this.inverseIndex = tf.keep(tf.tensor1d(inv, "int32"));
  }

  /** P·x (or Pᵀ·x with `transpose`) for x [n, K], without gradient bookkeeping (inside custom ops). */
  rowsNoGrad(x: tf.Tensor2D, transpose = false): tf.Tensor2D {
    if (tf.getBackend() === "native") return tf.gather(x, transpose ? this.inverseIndex : this.index);
    return tf.matMul(transpose ? this.transposed : this.matrix, x);
  }

  private readonly op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.matMul(this.matrix, args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(this.transposed, dy as tf.Tensor2D),
  }));

  /** Permutes the rows of x [n, K]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (x.shape[0] !== this.p.length)
      throw new Error(`RowPermutation: x has ${x.shape[0]} rows, the permutation ${this.p.length}`);
    return this.op(x) as tf.Tensor2D;
  }

  dispose(): void {
    this.matrix.dispose();
    this.transposed.dispose();
    this.index.dispose();
    this.inverseIndex.dispose();
  }
}

// Column permutation with an explicit gradient: tf.gather's gradient needs
// UnsortedSegmentSum, which the wasm backend lacks; a permutation's adjoint is the gather
// with the inverse permutation.
import * as tf from "@tensorflow/tfjs";

export class Permutation {
  readonly idx: tf.Tensor1D;
  readonly inv: tf.Tensor1D;

  /** y[k] = x[p[k]] along `axis` (default: the last). */
  constructor(readonly p: number[], readonly axis: number | null = null) {
    const inv = new Array<number>(p.length);
    p.forEach((v, i) => (inv[v] = i));
    this.idx = tf.keep(tf.tensor1d(p, "int32"));
    this.inv = tf.keep(tf.tensor1d(inv, "int32"));
  }

  private readonly op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const axis = this.axis ?? x.rank - 1;
    return { value: tf.gather(x, this.idx, axis), gradFunc: (dy: tf.Tensor) => tf.gather(dy, this.inv, axis) };
  });

  apply<T extends tf.Tensor>(x: T): T {
    return this.op(x) as T;
  }

  dispose(): void {
    this.idx.dispose();
    this.inv.dispose();
  }
}

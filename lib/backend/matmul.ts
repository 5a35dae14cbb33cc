// Matrix product that stays on the fast path of every backend. The wasm backend (XNNPACK)
// is fast only for a plain a·b: with transposeA/transposeB it falls back to a loop ~15x
// slower, and tf.matMul's own gradient asks for exactly those transposed products. There the
// transposes are explicit copies (cheap, memory-bound) and the gradient is built the same way.
// The native backend's GEMM takes transposed operands as flags, so there tf.matMul is used as is.
import * as tf from "@tensorflow/tfjs";

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
  return tf.transpose(x, perm);
}

const plainProduct = tf.customGrad((...args) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)];
    },
  };
});

/**
 * tf.matMul(a, b, transposeA, transposeB) for operands of equal rank and equal batch
 * dimensions (other cases go to tf.matMul unchanged). Same values, same gradients.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (tf.getBackend() === "native") return tf.matMul(a, b, transposeA, transposeB);
  const sameBatch = a.rank === b.rank && a.rank >= 2 && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  if (!sameBatch) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => plainProduct(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b) as tf.Tensor);
}

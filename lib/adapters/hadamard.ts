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

const blocks = new Map<number, tf.Tensor2D>();

/** Sylvester H_r / √r: entry (−1)^popcount(i & j). Kept for the process (tiny). */
function sylvester(r: number): tf.Tensor2D {
  let h = blocks.get(r);
  if (!h) {
    const data = new Float32Array(r * r);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        let bits = i & j, parity = 0;
        while (bits) {
          parity ^= bits & 1;
          bits >>= 1;
        }
        data[i * r + j] = (parity ? -1 : 1) / Math.sqrt(r);
      }
    }
    h = tf.keep(tf.tensor2d(data, [r, r]));
    blocks.set(r, h);
  }
  return h;
}

/**
 * (H_{2^k} ⊗ I_q)·z for z [n, K] (feature-major: the transform mixes rows). With a = (a1, …, as)
 * the 2^k index, each stage multiplies the leading radix axis by H_r and rotates it behind the
 * others; after s stages every axis was transformed once and the order is restored. The odd
 * factor and K ride along as one contiguous trailing run.
 */
export function hadamardRows(z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, k] = z.shape;
    const { pow, odd } = hadamardSplit(n);
    const run = odd * k;
    let y: tf.Tensor = z;
    for (const r of radices(pow)) {
      const h = tf.matMul(sylvester(r), tf.reshape(y, [r, -1]) as tf.Tensor2D);
      y = pow === r ? h : tf.transpose(tf.reshape(h, [r, pow / r, run]), [1, 0, 2]);
    }
    return tf.reshape(y, [n, k]) as tf.Tensor2D;
  });
}

/** x [M, n] ↦ x·(H_{2^k} ⊗ I_q) along the last axis (H is symmetric). */
export function hadamard(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(hadamardRows(tf.transpose(x) as tf.Tensor2D)) as tf.Tensor2D);
}

// Batched Cayley transform Q = (I − A)(I + A)⁻¹ of the skew part A = (P − Pᵀ)/2, as PEFT's
// cayley_batch. tfjs has no batched solve or inverse, so the inverse K = (I + A)⁻¹ is computed
// on the host in float64 (blocks are tiny) and the gradient is supplied analytically:
// Q = 2K − I, dQ = −2 K dA K, hence dL/dA = −2 Kᵀ G Kᵀ and dL/dP = (dL/dA − dL/dAᵀ)/2.
import * as tf from "@tensorflow/tfjs";

/** In-place Gauss–Jordan inverse with partial pivoting of each b×b block of `a`. */
function invertBlocks(a: Float64Array, count: number, b: number): Float64Array {
  const out = new Float64Array(count * b * b);
  const m = new Float64Array(b * 2 * b);
  for (let k = 0; k < count; k++) {
    const off = k * b * b;
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++) m[i * 2 * b + j] = a[off + i * b + j] as number;
      for (let j = 0; j < b; j++) m[i * 2 * b + b + j] = i === j ? 1 : 0;
    }
    for (let c = 0; c < b; c++) {
      let p = c;
      for (let r = c + 1; r < b; r++)
        if (Math.abs(m[r * 2 * b + c] as number) > Math.abs(m[p * 2 * b + c] as number)) p = r;
      if (p !== c) {
        for (let j = 0; j < 2 * b; j++) {
          const t = m[c * 2 * b + j] as number;
          m[c * 2 * b + j] = m[p * 2 * b + j] as number;
          m[p * 2 * b + j] = t;
        }
      }
      const piv = m[c * 2 * b + c] as number;
      for (let j = 0; j < 2 * b; j++) m[c * 2 * b + j] = (m[c * 2 * b + j] as number) / piv;
      for (let r = 0; r < b; r++) {
        if (r === c) continue;
        const f = m[r * 2 * b + c] as number;
        if (f === 0) continue;
        for (let j = 0; j < 2 * b; j++)
          m[r * 2 * b + j] = (m[r * 2 * b + j] as number) - f * (m[c * 2 * b + j] as number);
      }
    }
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) out[off + i * b + j] = m[i * 2 * b + b + j] as number;
  }
  return out;
}

const cayleyOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const p = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const [count, b] = p.shape as [number, number, number];
  // Everything on the host: one read of the (tiny) parameters, no kernels in the forward.
  const raw = p.dataSync();
  const ia = new Float64Array(count * b * b);
  for (let k = 0; k < count; k++) {
    const o = k * b * b;
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++)
        ia[o + i * b + j] = (i === j ? 1 : 0) + 0.5 * ((raw[o + i * b + j] as number) - (raw[o + j * b + i] as number));
    }
  }
  const kInv = invertBlocks(ia, count, b);
  const q = new Float32Array(kInv.length);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < b; i++)
      for (let j = 0; j < b; j++)
        q[k * b * b + i * b + j] = 2 * (kInv[k * b * b + i * b + j] as number) - (i === j ? 1 : 0);
  }
  const kt = tf.tensor3d(Float32Array.from(kInv), [count, b, b]);
  save([kt]);
  return {
    value: tf.tensor3d(q, [count, b, b]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const kk = saved[0] as tf.Tensor3D;
      const ga = tf.mul(tf.matMul(tf.matMul(kk, dy as tf.Tensor3D, true, false), kk, false, true), -2);
      return tf.mul(tf.sub(ga, tf.transpose(ga, [0, 2, 1])), 0.5);
    },
  };
});

/** Orthogonal blocks [count, b, b] from unconstrained params [count, b, b] (zero gives I). */
export function cayley(p: tf.Tensor3D): tf.Tensor3D {
  return cayleyOp(p) as tf.Tensor3D;
}

// BOFT's butterfly structure, laid out exactly as Hugging Face PEFT's boft layer (so boft_R
// files are interchangeable): factor i is P_i·B_i·P_iᵀ with B_i block-diagonal and P_i the
// permutation of PEFT's block_butterfly_perm; the full rotation is R = M_{m−1}···M_1·M_0.
// Here R is never formed: activations are permuted by reshapes/transposes and multiplied
// block by block (batched b×b matmuls).
import * as tf from "@tensorflow/tfjs";

export interface ButterflyShape {
  /** Number of butterfly factors m (PEFT's boft_n_butterfly_factor). */
  factors: number;
  blockSize: number;
  blockNum: number;
}

/**
 * Applies PEFT's divisibility rules (with m − 1 as its internal exponent) and returns the
 * resolved block size and count. Errors name the layer and say which rule failed and why.
 */
export function butterflyShape(
  layer: string,
  inFeatures: number,
  opts: { blockSize?: number; blockNum?: number; factors?: number },
): ButterflyShape {
  const m = opts.factors ?? 1;
  const size = opts.blockSize ?? 0;
  const num = opts.blockNum ?? 0;
  const where = `boft on ${layer} (in_features ${inFeatures})`;
  if (!Number.isInteger(m) || m < 1)
    throw new Error(`${where}: factors (boft_n_butterfly_factor) must be a positive integer, found ${m}`);
  const e = m - 1;
  let blockSize: number;
  let blockNum: number;
  if ((size !== 0) === (num !== 0)) {
    throw new Error(
      `${where}: give exactly one of blockSize (${size}) and blockNum (${num}); their product must equal in_features`,
    );
  }
  if (num !== 0) {
    if (inFeatures % num !== 0) throw new Error(`${where}: in_features must be divisible by blockNum ${num}`);
    if (e > 0 && (e > Math.floor(Math.log2(num)) || num % 2 ** e !== 0)) {
      throw new Error(
        `${where}: ${m} factors need blockNum divisible by 2^(m-1) = ${2 ** e} (each extra factor pairs blocks), found ${num}`,
      );
    }
    blockNum = num;
    blockSize = inFeatures / num;
  } else {
    if (inFeatures % size !== 0) throw new Error(`${where}: in_features must be divisible by blockSize ${size}`);
    if (e > 0 && inFeatures % (size * 2 ** e) !== 0) {
      throw new Error(
        `${where}: ${m} factors need in_features divisible by blockSize·2^(m-1) = ${size * 2 ** e} (each extra factor doubles the span of a butterfly)`,
      );
    }
    blockSize = size;
    blockNum = inFeatures / size;
  }
  if (e > 0 && (blockNum % 2 !== 0 || blockSize % 2 !== 0)) {
    throw new Error(
      `${where}: with more than one factor, blockNum (${blockNum}) and blockSize (${blockSize}) must both be even (butterflies swap half-blocks)`,
    );
  }
  return { factors: m, blockSize, blockNum };
}

/**
 * x ↦ x·R (row vectors) with R = M_{m−1}···M_0, M_i = P_i·B_i·P_iᵀ, applied for i = m−1 down
 * to 0. Works feature-major (xᵀ [in, N]) so a block is a contiguous [b, N] slab: the block
 * product is one batched matmul with no data movement, and PEFT's butterfly permutation of
 * factor i — half-blocks (s, h, a, k) (span, half, pair, offset) gathered to (s, a, h, k) —
 * is one transpose that moves whole r·N runs. Two 2-D transposes in and out.
 */
export class ButterflyPlan {
  constructor(
    readonly inFeatures: number,
    readonly shape: ButterflyShape,
  ) {}

  /** x [N, in] ↦ x·R given blocks [m, blockNum, b, b] (row-vector convention of B_i). */
  apply(x: tf.Tensor2D, blocks: tf.Tensor4D): tf.Tensor2D {
    const [n] = x.shape;
    const { factors, blockNum, blockSize } = this.shape;
    const run = (blockSize / 2) * n;
    let z: tf.Tensor = tf.transpose(x); // [in, N]
    for (let i = factors - 1; i >= 0; i--) {
      const q = tf.reshape(tf.slice(blocks, [i, 0, 0, 0], [1, blockNum, blockSize, blockSize]), [
        blockNum,
        blockSize,
        blockSize,
      ]) as tf.Tensor3D;
      // row-vector z_blk·Q is Qᵀ·z_blk on the feature-major slab
      z = tf.matMul(q, this.toBlocks(z, i), true, false);
      const { spans, pairs } = this.span(i);
      if (this.shuffles(i)) z = tf.transpose(tf.reshape(z, [spans, pairs, 2, run]), [0, 2, 1, 3]);
    }
    return tf.transpose(tf.reshape(z, [this.inFeatures, n])) as tf.Tensor2D;
  }

  private span(i: number): { spans: number; pairs: number } {
    const { blockNum, blockSize } = this.shape;
    const spans = blockNum / 2 ** i;
    return { spans, pairs: this.inFeatures / spans / blockSize };
  }

  private shuffles(i: number): boolean {
    return this.shape.factors > 1 && this.span(i).pairs > 1;
  }

  /**
   * Feature-major z [in, N] (any shape of that size) ↦ [blockNum, b, N]: the b-row slabs factor i's blocks act on (for
   * i > 0 the butterfly permutation P_iᵀ groups features from different spans).
   */
  toBlocks(z: tf.Tensor, i: number): tf.Tensor3D {
    const { blockNum, blockSize } = this.shape;
    const n = z.size / this.inFeatures;
    const { spans, pairs } = this.span(i);
    const shuffled = this.shuffles(i)
      ? tf.transpose(tf.reshape(z, [spans, 2, pairs, (blockSize / 2) * n]), [0, 2, 1, 3])
      : z;
    return tf.reshape(shuffled, [blockNum, blockSize, n]) as tf.Tensor3D;
  }

  dispose(): void {}
}

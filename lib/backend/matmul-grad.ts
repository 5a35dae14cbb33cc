// BatchMatMul's gradient with NumPy batch broadcasting. tfjs 4.22's own returns the gradient of a
// broadcast operand at the broadcast shape (e.g. [2, 3, K, N] for b of shape [K, N]), which the
// engine rejects, so no backend could differentiate a broadcast product. This one sums the
// gradient back to the operand's shape; where nothing broadcasts it is tfjs's, product for product.
import * as tf from "@tensorflow/tfjs";

/** Sums `g` over the leading and size-1 batch axes that broadcasting added to `shape`. */
function sumTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank - 2; i++) if (i < lead || shape[i - lead] === 1) axes.push(i);
  return tf.sum(g, axes).reshape(shape);
}

let registered = false;

export function registerBroadcastingMatMulGrad(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: tf.BatchMatMul,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const { transposeA: ta, transposeB: tb } = attrs as unknown as tf.BatchMatMulAttrs;
      const d = dy as tf.Tensor;
      const [ga, gb] = !ta
        ? !tb
          ? [() => tf.matMul(d, b, false, true), () => tf.matMul(a, d, true, false)]
          : [() => tf.matMul(d, b, false, false), () => tf.matMul(d, a, true, false)]
        : !tb
          ? [() => tf.matMul(b, d, false, true), () => tf.matMul(a, d, false, false)]
          : [() => tf.matMul(b, d, true, true), () => tf.matMul(d, a, true, true)];
      return { a: () => sumTo(ga(), a.shape), b: () => sumTo(gb(), b.shape) };
    },
  });
}

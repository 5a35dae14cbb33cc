// tfjs variable names are global; a per-attachment prefix lets several attachments (and
// several models with the same module paths) coexist.
import * as tf from "@tensorflow/tfjs";

let counter = 0;

export function newPrefix(method: string): string {
  counter += 1;
  return `adapter${counter}_${method}/`;
}

export function variable(prefix: string, name: string, value: tf.Tensor): tf.Variable {
  const v = tf.variable(value, true, `${prefix}${name}`);
  value.dispose();
  return v;
}

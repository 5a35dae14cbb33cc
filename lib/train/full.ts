// Full fine-tuning as a TrainableSet, so the trainer, recorder and comparisons treat it like
// any adapter. A linear weight's group is named by its module path (the same `layer` the
// adapters report), so per-layer gradient norms line up across methods.
import type * as tf from "@tensorflow/tfjs";
import type { ParameterGroup, ParameterHost, TrainableSet } from "../nn/module.js";

export interface FullFineTuningOptions {
  /** Which tensors to train, by Hugging Face tensor name; default all. */
  filter?: (name: string) => boolean;
}

/** One group per weight, branch "full"; `x.weight` reports layer `x`, any other tensor its own name. */
export function fullFineTuning(host: ParameterHost, options: FullFineTuningOptions = {}): TrainableSet {
  const groups: ParameterGroup[] = [];
  for (const [name, variable] of host.namedParameters()) {
    if (options.filter && !options.filter(name)) continue;
    groups.push({
      layer: name.endsWith(".weight") ? name.slice(0, -".weight".length) : name,
      branch: "full",
      variables: [variable as tf.Variable],
    });
  }
  if (groups.length === 0) throw new Error("fullFineTuning: the host has no parameters to train (after the filter)");
  return { groups: () => groups };
}

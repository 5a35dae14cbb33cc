// The GPT-2 family as in Hugging Face's GPT2Model: pre-LayerNorm blocks, learned absolute
// positions, fused q/k/v projection (c_attn), GELU (tanh approximation), lm_head tied to wte.
// Checkpoints store the Conv1D weights as [in, out]; in memory they are [out, in] like every
// Linear, and the transpose happens only at load/save.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";
import type { ModelConfig } from "./config.js";
import { attend, mergeHeads, splitHeads } from "./attention.js";
import { TransformerModel, type CreateOptions, type ForwardOptions, type ParamSpec } from "./model.js";
import { geluTanh, layerNorm } from "./ops.js";

export function gpt2Specs(c: ModelConfig): ParamSpec[] {
  const d = c.hiddenSize;
  const specs: ParamSpec[] = [
    { name: "transformer.wte.weight", shape: [c.vocabSize, d], init: "normal" },
    { name: "transformer.wpe.weight", shape: [c.maxPositions, d], init: "normal" },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `transformer.h.${i}`;
    specs.push(
      { name: `${p}.ln_1.weight`, shape: [d], init: "ones" },
      { name: `${p}.ln_1.bias`, shape: [d], init: "zeros" },
      { name: `${p}.attn.c_attn.weight`, shape: [3 * d, d], init: "normal", conv1d: true },
      { name: `${p}.attn.c_attn.bias`, shape: [3 * d], init: "zeros" },
      { name: `${p}.attn.c_proj.weight`, shape: [d, d], init: "normal", conv1d: true },
      { name: `${p}.attn.c_proj.bias`, shape: [d], init: "zeros" },
      { name: `${p}.ln_2.weight`, shape: [d], init: "ones" },
      { name: `${p}.ln_2.bias`, shape: [d], init: "zeros" },
      { name: `${p}.mlp.c_fc.weight`, shape: [c.intermediateSize, d], init: "normal", conv1d: true },
      { name: `${p}.mlp.c_fc.bias`, shape: [c.intermediateSize], init: "zeros" },
      { name: `${p}.mlp.c_proj.weight`, shape: [d, c.intermediateSize], init: "normal", conv1d: true },
      { name: `${p}.mlp.c_proj.bias`, shape: [d], init: "zeros" },
    );
  }
  specs.push(
    { name: "transformer.ln_f.weight", shape: [d], init: "ones" },
    { name: "transformer.ln_f.bias", shape: [d], init: "zeros" },
  );
  if (c.task === "sequence-classification")
    specs.push({ name: "score.weight", shape: [c.numLabels, d], init: "normal" });
  return specs;
}

interface Gpt2Layer {
  index: number;
  ln1: [tf.Variable, tf.Variable];
  ln2: [tf.Variable, tf.Variable];
  cAttn: Linear;
  attnProj: Linear;
  cFc: Linear;
  mlpProj: Linear;
}

export class Gpt2Model extends TransformerModel {
  readonly prefix = "transformer.";
  private readonly layers: Gpt2Layer[] = [];

  constructor(config: ModelConfig, values: Map<string, Float32Array> | null = null, init: CreateOptions = {}) {
    if (config.family !== "gpt2") throw new Error(`Gpt2Model: config family is '${config.family}'`);
    super(config, gpt2Specs(config), values, init);
    for (let i = 0; i < config.numLayers; i++) {
      const p = `transformer.h.${i}`;
      this.layers.push({
        index: i,
        ln1: [this.param(`${p}.ln_1.weight`), this.param(`${p}.ln_1.bias`)],
        cAttn: this.linear(`${p}.attn.c_attn`, true, true),
        attnProj: this.linear(`${p}.attn.c_proj`, true, true),
        ln2: [this.param(`${p}.ln_2.weight`), this.param(`${p}.ln_2.bias`)],
        cFc: this.linear(`${p}.mlp.c_fc`, true, true),
        mlpProj: this.linear(`${p}.mlp.c_proj`, true, true),
      });
    }
    this.addHeads("transformer.wte.weight");
  }

  hidden(inputIds: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const c = this.config;
      const ctx = this.context(inputIds, opts);
      const pos = this.embed("transformer.wpe.weight", tf.cast(ctx.positions, "int32"));
      let h = tf.add(this.embed("transformer.wte.weight", inputIds), pos);
      for (const L of this.layers) {
        const x = layerNorm(h, L.ln1[0], L.ln1[1], c.normEps);
        const [q, k0, v0] = tf.split(L.cAttn.apply(x), 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        let k = splitHeads(k0, c.numHeads, c.headDim);
        let v = splitHeads(v0, c.numHeads, c.headDim);
        if (opts.cache) [k, v] = opts.cache.append(L.index, k, v);
        h = tf.add(h, L.attnProj.apply(mergeHeads(attend(splitHeads(q, c.numHeads, c.headDim), k, v, ctx.mask))));
        const y = layerNorm(h, L.ln2[0], L.ln2[1], c.normEps);
        h = tf.add(h, L.mlpProj.apply(geluTanh(L.cFc.apply(y))));
      }
      if (opts.cache) opts.cache.length += inputIds.shape[1] as number;
      return layerNorm(h, this.param("transformer.ln_f.weight"), this.param("transformer.ln_f.bias"), c.normEps);
    });
  }
}

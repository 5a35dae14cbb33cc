// The LLaMA family as in Hugging Face's LlamaModel: pre-RMSNorm blocks, rotary positions with
// the rotate_half convention (first half of each head paired with the second half), SwiGLU
// MLP, grouped-/multi-query attention, tied or separate lm_head.
import * as tf from "@tensorflow/tfjs";
import { fusedRopeHeads } from "../backend/fused.js";
import type { Linear } from "../nn/linear.js";
import type { ModelConfig } from "./config.js";
import { attend, mergeHeads, splitHeads } from "./attention.js";
import { TransformerModel, type CreateOptions, type ForwardOptions, type ParamSpec } from "./model.js";
import { rmsNorm, swiGlu } from "./ops.js";

export function llamaSpecs(c: ModelConfig): ParamSpec[] {
  const d = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const specs: ParamSpec[] = [{ name: "model.embed_tokens.weight", shape: [c.vocabSize, d], init: "normal" }];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [d], init: "ones" },
      { name: `${p}.self_attn.q_proj.weight`, shape: [qDim, d], init: "normal" },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kvDim, d], init: "normal" },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kvDim, d], init: "normal" },
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, qDim], init: "normal" },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], init: "ones" },
      { name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediateSize, d], init: "normal" },
      { name: `${p}.mlp.up_proj.weight`, shape: [c.intermediateSize, d], init: "normal" },
      { name: `${p}.mlp.down_proj.weight`, shape: [d, c.intermediateSize], init: "normal" },
    );
  }
  specs.push({ name: "model.norm.weight", shape: [d], init: "ones" });
  if (c.task === "sequence-classification")
    specs.push({ name: "score.weight", shape: [c.numLabels, d], init: "normal" });
  else if (!c.tieWordEmbeddings) specs.push({ name: "lm_head.weight", shape: [c.vocabSize, d], init: "normal" });
  return specs;
}

interface LlamaLayer {
  index: number;
  inputNorm: tf.Variable;
  postNorm: tf.Variable;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  gate: Linear;
  up: Linear;
  down: Linear;
}

export class LlamaModel extends TransformerModel {
  readonly prefix = "model.";
  private readonly layers: LlamaLayer[] = [];
  /** 1 / θ^(2i/d) for i < d/2, computed in f32 as Hugging Face does. */
  private readonly invFreq: Float32Array;

  constructor(config: ModelConfig, values: Map<string, Float32Array> | null = null, init: CreateOptions = {}) {
    if (config.family !== "llama") throw new Error(`LlamaModel: config family is '${config.family}'`);
    super(config, llamaSpecs(config), values, init);
    const half = config.headDim / 2;
    this.invFreq = Float32Array.from({ length: half }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim));
    for (let i = 0; i < config.numLayers; i++) {
      const p = `model.layers.${i}`;
      this.layers.push({
        index: i,
        inputNorm: this.param(`${p}.input_layernorm.weight`),
        q: this.linear(`${p}.self_attn.q_proj`, false),
        k: this.linear(`${p}.self_attn.k_proj`, false),
        v: this.linear(`${p}.self_attn.v_proj`, false),
        o: this.linear(`${p}.self_attn.o_proj`, false),
        postNorm: this.param(`${p}.post_attention_layernorm.weight`),
        gate: this.linear(`${p}.mlp.gate_proj`, false),
        up: this.linear(`${p}.mlp.up_proj`, false),
        down: this.linear(`${p}.mlp.down_proj`, false),
      });
    }
    this.addHeads("model.embed_tokens.weight");
  }

  /** cos and sin [B, 1, T, headDim] for positions [B, T]. */
  private rotary(positions: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [b, t] = positions.shape as [number, number];
    const angles = tf.mul(positions.reshape([b, t, 1]), tf.tensor1d(this.invFreq).reshape([1, 1, -1]));
    const emb = tf.concat([angles, angles], -1).reshape([b, 1, t, this.config.headDim]);
    return [tf.cos(emb), tf.sin(emb)];
  }

  private static rotateHalf(x: tf.Tensor): tf.Tensor {
    const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.concat([tf.neg(x2), x1], -1);
  }

  private static applyRotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(x, cos), tf.mul(LlamaModel.rotateHalf(x), sin));
  }

  /** [B, T, heads·headDim] → [B, heads, T, headDim], rotated (one fused kernel where the backend has it). */
  private static rotaryHeads(x: tf.Tensor, heads: number, headDim: number, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
    return fusedRopeHeads(x, cos, sin, heads) ?? LlamaModel.applyRotary(splitHeads(x, heads, headDim), cos, sin);
  }

  hidden(inputIds: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const c = this.config;
      const ctx = this.context(inputIds, opts);
      const [cos, sin] = this.rotary(ctx.positions);
      let h = this.embed("model.embed_tokens.weight", inputIds);
      for (const L of this.layers) {
        const x = rmsNorm(h, L.inputNorm, c.normEps);
        const q = LlamaModel.rotaryHeads(L.q.apply(x), c.numHeads, c.headDim, cos, sin);
        let k = LlamaModel.rotaryHeads(L.k.apply(x), c.numKvHeads, c.headDim, cos, sin);
        let v = splitHeads(L.v.apply(x), c.numKvHeads, c.headDim);
        if (opts.cache) [k, v] = opts.cache.append(L.index, k, v);
        h = tf.add(h, L.o.apply(mergeHeads(attend(q, k, v, ctx.mask))));
        const y = rmsNorm(h, L.postNorm, c.normEps);
        h = tf.add(h, L.down.apply(swiGlu(L.gate.apply(y), L.up.apply(y))));
      }
      if (opts.cache) opts.cache.length += inputIds.shape[1] as number;
      return rmsNorm(h, this.param("model.norm.weight"), c.normEps);
    });
  }
}
